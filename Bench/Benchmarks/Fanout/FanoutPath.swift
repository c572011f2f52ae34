/// One way of getting an audio batch to every listener of a Space; each Fanout benchmark
/// measures one of them.
enum FanoutPath {
    /// The server's path: `Relay.broadcast` frames the batch once, and the shard writes that
    /// same buffer to each listener's `SocketWriter` with no promise, yielding its loop between
    /// slices of `relay.writesPerSlice` listeners.
    case relay
    /// The floor under it: the same pre-framed buffer written and flushed to each channel in a
    /// plain loop, through an otherwise empty pipeline. No relay, no shard, no listener handler.
    case directWrite
    /// What pre-framing saves: a `WebSocketFrame` written to each channel and encoded there by
    /// NIO's `WebSocketFrameEncoder`, as a server without pre-framing would do per listener.
    case frameEncoding
}
