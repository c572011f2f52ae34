// The page of one Space (/s/{id}): join, listen, and take part in the conversation.
//
// connection.js gets us in and keeps us in; player.js plays the audio; this file shows what
// happens and sends what the listener does (docs/PROTOCOL.md §5.3). Everything shown comes from
// the server as text and is put in the page with textContent, never as HTML.

import { parseBatch, SequenceTracker, AUDIO_BATCH } from '/web/batch.js';
import { AudioPlayer, emptyAudioStats } from '/web/player.js';
import { SpaceConnection } from '/web/connection.js';

const $ = (id) => document.getElementById(id);
const spaceId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

const audioStats = emptyAudioStats();
const player = new AudioPlayer(audioStats);
const sequence = new SequenceTracker();
let audioProblem = AudioPlayer.unsupportedReason();

/** What the page knows of the conversation. */
const conversation = {
  listeners: null,
  myQuestionId: null,
  /** Questions this listener upvoted (or tried to): their buttons stay disabled. */
  voted: new Set(),
  /** The latest action sent: an `error` event with a code several actions share answers it. */
  lastAction: null,
  lastUpvoteId: null,
  handRaised: false,
  reactionTotals: new Map(),
  lastQuestions: null,
};

const connection = new SpaceConnection(spaceId, {
  onPhase: showPhase,
  onWelcome: welcomed,
  onEvent: handleEvent,
  onAudio: receiveAudio,
  onDisconnect: () => player.pause(),
});

// ---- The state line --------------------------------------------------------------------------

let countdown = null;
/** Whether GET /v1/spaces/{id} answered (or could not be asked): Listen may be pressed. */
let spaceFound = false;

/** Shows the connection's phase: the state line, the buttons, and the countdown if any. */
function showPhase(phase, info) {
  document.body.dataset.state = phase;
  clearInterval(countdown);
  $('status-detail').textContent = '';
  let text;
  switch (phase) {
    case 'connecting':
      text = 'Connecting…';
      break;
    case 'waiting': {
      const eta = info.etaSeconds != null ? `about ${formatSeconds(info.etaSeconds)}` : 'no estimate yet';
      text = `Waiting in line: #${info.position} (${eta}).`;
      $('status-detail').textContent = 'You will hear the Space as soon as a place frees up.';
      break;
    }
    case 'full':
      text = 'The waiting room is full. Your place is kept and the page tries again by itself.';
      tick(info.retryAt, (s) => `Trying again in ${s} s.`);
      break;
    case 'live':
      text = 'Live.';
      break;
    case 'reconnecting':
      text = info.resuming ? `${info.message} Reconnecting…` : `${info.message} Trying again…`;
      tick(info.retryAt, (s) => `Next try in ${s} s (attempt ${info.attempt}).`);
      break;
    case 'ended':
      text = 'The Space has ended.';
      break;
    case 'left':
      text = 'You left the Space.';
      break;
    case 'replaced':
      text = 'You are listening in another tab or window.';
      break;
    case 'error':
      text = info.message;
      break;
    default:
      text = 'Press Listen to join.';
  }
  // Set only when it changes: a screen reader announces every new text of the state line.
  if ($('status').textContent !== text) $('status').textContent = text;

  const joined = ['connecting', 'waiting', 'full', 'live', 'reconnecting'].includes(phase);
  $('listen').hidden = joined;
  $('leave').hidden = !joined;
  // Listen stays disabled until the Space is known to exist (refreshSpace), and after it ended.
  $('listen').disabled = !spaceFound || phase === 'ended';
  if (phase === 'ended') $('listen').hidden = true;
  if (phase !== 'live') $('invited').hidden = true;
  if (['ended', 'left', 'replaced', 'error'].includes(phase)) {
    player.close();
    conversation.handRaised = false;
  }
  if (phase === 'ended') {
    // What was shown live no longer holds: only the final queue stays, as a record (the
    // style sheet hides the ask form, the reactions and the hand).
    for (const id of ['listener-count', 'my-question', 'ask-message', 'vote-message', 'reaction-message']) {
      $(id).textContent = '';
    }
  }
  $('home-link').hidden = !['ended', 'replaced', 'error'].includes(phase);
  setConversationEnabled(phase === 'live');
  renderStats();
}

/** Updates the detail line each second until `at` (ms since 1970). */
function tick(at, format) {
  const update = () => {
    $('status-detail').textContent = format(Math.max(0, Math.ceil((at - Date.now()) / 1000)));
  };
  update();
  countdown = setInterval(update, 250);
}

function formatSeconds(seconds) {
  if (seconds < 90) return `${seconds} s`;
  return `${Math.round(seconds / 60)} min`;
}

// ---- Joining and audio ---------------------------------------------------------------------

$('listen').addEventListener('click', async () => {
  $('listen').disabled = true;
  if (!audioProblem) {
    try {
      // In the click: browsers start audio only after a gesture.
      await player.prepare();
    } catch (error) {
      audioProblem = `The audio could not start: ${error.message}`;
    }
  }
  showAudioNotice();
  $('listen').disabled = false;
  connection.join();
});

$('leave').addEventListener('click', () => connection.leave());

async function welcomed(welcome, resumed) {
  sequence.reset();
  $('title').textContent = welcome.space.title;
  document.title = `${welcome.space.title} · Spaces`;
  // What was ours may have changed while we were away (answered, hand lowered): the node
  // sends our open question and raised hand right after a resumed welcome (§5.1).
  conversation.myQuestionId = null;
  conversation.handRaised = false;
  $('my-question').textContent = '';
  showHand(null);
  updateAskForm();
  // No `state` event comes at join time: read the count once (§5.1).
  refreshSpace();
  if (!audioProblem && player.context) {
    const problem = await player.start(welcome.codec);
    if (problem) {
      audioProblem = problem;
      showAudioNotice();
    }
  }
}

function receiveAudio(buffer) {
  const batch = parseBatch(buffer);
  if (!batch || batch.kind !== AUDIO_BATCH) return; // unknown kinds are ignored (§7)
  const missing = sequence.next(batch.firstSequence, batch.frameCount);
  player.receive(batch, missing);
}

function showAudioNotice() {
  const notice = $('audio-notice');
  notice.hidden = !audioProblem;
  notice.textContent = audioProblem ? `${audioProblem} You can still follow the questions.` : '';
}

/** Title, state and listener count from the HTTP API. */
async function refreshSpace() {
  try {
    const response = await fetch(`/v1/spaces/${encodeURIComponent(spaceId)}`, { cache: 'no-store' });
    if (response.status === 404) {
      spaceFound = false;
      $('title').textContent = 'Space not found';
      showPhase('error', { message: 'This Space does not exist (or no longer does).' });
      // Nothing to join or take part in: only the way back to the list stays.
      for (const part of document.querySelectorAll('.questions, .react, .stats, #listen, #listener-count')) part.hidden = true;
      return;
    }
    const space = await response.json();
    spaceFound = true;
    $('title').textContent = space.title;
    document.title = `${space.title} · Spaces`;
    showListeners(space.listeners);
    if (space.state === 'ended' && connection.phase === 'idle') showPhase('ended', {});
    else if (connection.phase === 'idle') $('listen').disabled = false;
  } catch {
    // Listen may still work in a moment; the join itself retries.
    spaceFound = true;
    if (connection.phase === 'idle') {
      $('listen').disabled = false;
      $('status').textContent = 'The server cannot be reached right now.';
    }
  }
}

function showListeners(count) {
  conversation.listeners = count;
  $('listener-count').textContent = `${count} listening`;
}

// ---- Server events ---------------------------------------------------------------------------

function handleEvent(event) {
  switch (event.type) {
    case 'state':
      showListeners(event.listeners);
      break;
    case 'questions':
      conversation.lastQuestions = event;
      renderQuestions(event);
      break;
    case 'question':
      showMyQuestion(event);
      break;
    case 'asked':
      conversation.myQuestionId = event.id;
      $('ask-text').value = '';
      say('ask-message', 'Your question was added.');
      $('my-question').textContent = 'Your question is in the queue.';
      updateAskForm();
      rerenderQuestions();
      break;
    case 'upvoted':
      conversation.voted.add(event.id);
      say('vote-message', 'Vote counted.');
      rerenderQuestions();
      break;
    case 'withdrawn':
      if (conversation.myQuestionId === event.id) conversation.myQuestionId = null;
      say('ask-message', 'Your question was withdrawn.');
      $('my-question').textContent = '';
      updateAskForm();
      rerenderQuestions();
      break;
    case 'hand':
      conversation.handRaised = event.raised;
      showHand(event.position);
      break;
    case 'reactions':
      addReactions(event.counts ?? {});
      break;
    case 'invited':
      // The invitation takes the hand out of the line (docs/PROTOCOL.md §5.3).
      $('invited').hidden = false;
      conversation.handRaised = false;
      showHand(null);
      break;
    case 'error':
      refused(event);
      break;
    default:
      // Unknown events are ignored (§1, versioning).
      break;
  }
}

/** An `error` event: shown next to what the listener just did. */
function refused(event) {
  const where = {
    ask: 'ask-message',
    upvote: 'vote-message',
    withdraw: 'ask-message',
    hand: 'hand-status',
    react: 'reaction-message',
  };
  // Codes that can only answer one kind of action, whatever was sent last.
  const byCode = {
    empty_text: 'ask', text_too_long: 'ask', control_character: 'ask', one_open_question: 'ask', queue_full: 'ask',
    own_question: 'upvote', already_voted: 'upvote', not_yours: 'withdraw', hands_full: 'hand', unknown_reaction: 'react',
  };
  const action = byCode[event.code] ?? conversation.lastAction ?? 'ask';
  say(where[action], event.message, true);
  // A vote refused for its rate may be tried again; any other refusal stands.
  if (action === 'upvote' && event.code === 'rate_limited') conversation.voted.delete(conversation.lastUpvoteId);
  if (action === 'ask') $('ask-button').disabled = connection.phase !== 'live' || hasOpenQuestion();
  if (action === 'upvote') rerenderQuestions();
}

function say(id, text, isError = false) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle('error', isError);
}

// ---- Questions -------------------------------------------------------------------------------

function hasOpenQuestion() {
  return conversation.myQuestionId !== null;
}

function updateAskForm() {
  const live = connection.phase === 'live';
  $('ask-text').disabled = !live || hasOpenQuestion();
  $('ask-button').disabled = !live || hasOpenQuestion();
  $('ask-hint').textContent = connection.phase === 'ended'
    ? 'The Space has ended.'
    : !live
    ? 'One line, up to 280 characters. You can ask once you are in.'
    : hasOpenQuestion()
      ? 'You can ask again once your question is answered or withdrawn.'
      : 'One line, up to 280 characters.';
}

$('ask-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('ask-text').value.trim();
  if (text.length === 0) {
    say('ask-message', 'Write a question first.', true);
    return;
  }
  if (characters(text) > 280) {
    say('ask-message', 'A question has at most 280 characters.', true);
    return;
  }
  conversation.lastAction = 'ask';
  if (connection.send({ type: 'ask', text })) {
    $('ask-button').disabled = true;
    say('ask-message', 'Sending…');
  }
});

/** Characters as the node counts them: grapheme clusters (an emoji with its modifiers is one). */
function characters(text) {
  if (typeof Intl !== 'undefined' && Intl.Segmenter) {
    let count = 0;
    for (const _ of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) count += 1;
    return count;
  }
  return [...text].length;
}

/** Draws the queue: the question on air, then the top open questions with their votes. */
function renderQuestions(event) {
  const onAir = event.onAir;
  $('on-air').hidden = !onAir;
  $('on-air-text').textContent = onAir ? `${onAir.text} (${votes(onAir.votes)})` : '';
  $('questions-total').textContent = event.total > 0 ? `(${event.total} open)` : '';
  $('questions-empty').hidden = event.top.length > 0 || !!onAir;
  $('questions-empty').textContent = 'No questions yet.';

  // Keep the keyboard focus on the same question's button across redraws.
  const focusedId = document.activeElement?.closest?.('.question')?.dataset.id;
  const list = $('questions');
  list.replaceChildren(...event.top.map(questionItem));
  if (focusedId) list.querySelector(`[data-id="${CSS.escape(focusedId)}"] button`)?.focus();
}

function rerenderQuestions() {
  if (conversation.lastQuestions) renderQuestions(conversation.lastQuestions);
}

function questionItem(question, index) {
  const item = document.createElement('li');
  item.className = 'question';
  item.dataset.id = question.id;
  item.dataset.votes = String(question.votes);
  const mine = question.id === conversation.myQuestionId;
  if (mine) item.classList.add('mine');

  const body = document.createElement('div');
  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = question.text;
  const info = document.createElement('p');
  info.className = 'info';
  info.textContent = [`#${index + 1}`, votes(question.votes), question.pinned ? 'pinned' : null, mine ? 'your question' : null]
    .filter(Boolean)
    .join(' · ');
  body.append(text, info);

  const button = document.createElement('button');
  button.type = 'button';
  if (mine) {
    button.textContent = 'Withdraw';
    button.className = 'withdraw';
    button.setAttribute('aria-label', `Withdraw your question: ${question.text}`);
    button.disabled = connection.phase !== 'live';
    button.addEventListener('click', () => {
      conversation.lastAction = 'withdraw';
      connection.send({ type: 'withdraw', id: question.id });
    });
  } else {
    const voted = conversation.voted.has(question.id);
    button.textContent = voted ? 'Voted' : 'Upvote';
    button.className = 'upvote';
    button.setAttribute('aria-label', voted ? `You upvoted: ${question.text}` : `Upvote: ${question.text}`);
    button.disabled = voted || connection.phase !== 'live';
    button.addEventListener('click', () => {
      conversation.lastAction = 'upvote';
      conversation.lastUpvoteId = question.id;
      if (connection.send({ type: 'upvote', id: question.id })) {
        // Once per question (§5.3): the button stays disabled, also if the vote was refused.
        conversation.voted.add(question.id);
        button.disabled = true;
        button.textContent = 'Voted';
      }
    });
  }
  item.append(body, button);
  return item;
}

function votes(count) {
  return count === 1 ? '1 vote' : `${count} votes`;
}

/** The `question` event: where the listener's own question stands. */
function showMyQuestion(event) {
  conversation.myQuestionId = event.id;
  let text;
  switch (event.state) {
    case 'open':
      text = `Your question is #${event.rank} in the queue · ${votes(event.votes)}.`;
      break;
    case 'on_air':
      text = 'Your question is on air now.';
      break;
    case 'answered':
      text = 'Your question was answered.';
      conversation.myQuestionId = null;
      break;
    case 'dismissed':
      text = 'Your question was dismissed by the host.';
      conversation.myQuestionId = null;
      break;
    default:
      text = '';
  }
  $('ask-message').textContent = '';
  $('my-question').textContent = text;
  $('my-question').dataset.state = event.state;
  $('my-question').dataset.rank = event.rank ?? '';
  updateAskForm();
  rerenderQuestions();
}

// ---- Reactions and hand ----------------------------------------------------------------------

for (const button of document.querySelectorAll('.reaction')) {
  button.addEventListener('click', () => {
    conversation.lastAction = 'react';
    connection.send({ type: 'react', emoji: button.dataset.emoji });
  });
}

/** Adds the counts of a `reactions` event (reactions since the previous one) to the totals. */
function addReactions(counts) {
  for (const button of document.querySelectorAll('.reaction')) {
    const added = counts[button.dataset.emoji] ?? 0;
    if (added === 0) continue;
    const total = (conversation.reactionTotals.get(button.dataset.emoji) ?? 0) + added;
    conversation.reactionTotals.set(button.dataset.emoji, total);
    button.querySelector('.count').textContent = String(total);
    button.dataset.count = String(total);
    button.setAttribute('aria-label', `${button.getAttribute('aria-label').replace(/ \(\d+\)$/, '')} (${total})`);
    button.classList.remove('bump');
    void button.offsetWidth; // restart the animation (none when reduced motion is asked for)
    button.classList.add('bump');
  }
}

$('hand').addEventListener('click', () => {
  conversation.lastAction = 'hand';
  connection.send({ type: 'hand', raised: !conversation.handRaised });
});

function showHand(position) {
  const raised = conversation.handRaised;
  $('hand').textContent = raised ? 'Lower hand' : 'Raise hand';
  $('hand').setAttribute('aria-pressed', String(raised));
  $('hand-status').classList.remove('error');
  $('hand-status').textContent = raised ? (position ? `Your hand is up (#${position} in line).` : 'Your hand is up.') : '';
}

function setConversationEnabled(live) {
  for (const button of document.querySelectorAll('.reaction')) button.disabled = !live;
  $('hand').disabled = !live;
  showHand(null);
  updateAskForm();
  rerenderQuestions();
}

// ---- Statistics ----------------------------------------------------------------------------

/** Writes the counters into #stats (text and data- attributes), for people and for tests. */
function renderStats() {
  const values = {
    state: connection.phase,
    position: connection.phase === 'waiting' ? connection.stats.position : null,
    listenerId: connection.stats.listenerId,
    ...audioStats,
    listeners: conversation.listeners,
    reconnects: connection.stats.reconnects,
    resumes: connection.stats.resumes,
    fullRetries: connection.stats.fullRetries,
  };
  const list = $('stats');
  for (const [name, value] of Object.entries(values)) {
    const text = value === null || value === undefined ? '–' : String(value);
    list.dataset[name] = value === null || value === undefined ? '' : String(value);
    const cell = $(`stat-${name}`);
    if (cell && cell.textContent !== text) cell.textContent = text;
  }
}

setInterval(() => {
  renderStats();
  if (connection.phase === 'live') showHearing();
}, 500);

/** The live detail line: how far behind the Space the listener hears it. */
function showHearing() {
  let text;
  if (audioProblem) text = 'Audio is off on this device.';
  else if (audioStats.framesDecoded === 0) text = 'Starting the audio…';
  else text = `Hearing the Space about ${(audioStats.latencyMs ?? 0) + audioStats.jitterBufferMs} ms behind.`;
  if ($('status-detail').textContent !== text) $('status-detail').textContent = text;
}

// ---- Start -----------------------------------------------------------------------------------

if (!spaceId) {
  showPhase('error', { message: 'No Space named in this address.' });
} else {
  showPhase('idle', {});
  refreshSpace();
}
if (audioProblem) showAudioNotice();
