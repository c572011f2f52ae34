"""Reads a `spaces loadtest` JSON report's timeline, for the scenario scripts."""


def p99_ms(seconds):
    """p99 audio latency in ms over the given timeline seconds, from their latency buckets
    (bucket i holds [2^(i/4), 2^((i+1)/4)) microseconds; the upper bound is returned)."""
    return percentile_ms(seconds, 0.99)


def percentile_ms(seconds, fraction):
    """The `fraction` percentile (0.5 for the median) of the audio latency in ms over the given
    timeline seconds, as the upper bound of its latency bucket."""
    counts = [0] * 120
    for second in seconds:
        for i, count in enumerate(second["latency"]["counts"]):
            counts[i] += count
    total = sum(counts)
    seen = 0
    for i, count in enumerate(counts):
        seen += count
        if total and seen >= total * fraction:
            return 2 ** ((i + 1) / 4) / 1000
    return 0.0

