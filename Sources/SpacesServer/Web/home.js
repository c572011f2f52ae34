// The home page (/): the live Spaces of this node, each a link to its page (/s/{id}).
// Refreshed every 5 seconds; titles are put in the page as text, never as HTML.

const REFRESH_MS = 5000;

const list = document.getElementById('spaces');
const status = document.getElementById('home-status');

async function refresh() {
  let spaces;
  try {
    const response = await fetch('/v1/spaces', { cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    spaces = (await response.json()).spaces.filter((space) => space.state === 'live');
  } catch (error) {
    status.textContent = `Could not load the Spaces (${error.message}). Trying again…`;
    return;
  }
  status.textContent = spaces.length === 0
    ? 'No live Spaces right now.'
    : spaces.length === 1 ? '1 live Space.' : `${spaces.length} live Spaces.`;
  list.replaceChildren(...spaces.map(item));
}

function item(space) {
  const link = document.createElement('a');
  link.href = `/s/${encodeURIComponent(space.id)}`;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = space.title;
  const info = document.createElement('span');
  info.className = 'info';
  const parts = [`${space.listeners} listening`];
  if (space.waiting > 0) parts.push(`${space.waiting} waiting`);
  parts.push(`since ${new Date(space.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`);
  info.textContent = parts.join(' · ');
  link.append(name, info);
  const entry = document.createElement('li');
  entry.dataset.id = space.id;
  entry.append(link);
  return entry;
}

refresh();
setInterval(refresh, REFRESH_MS);
