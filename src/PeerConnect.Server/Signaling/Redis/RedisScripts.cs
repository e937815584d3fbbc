namespace PeerConnect.Server.Signaling.Redis;

/// <summary>
/// The Lua scripts that keep shared signaling state consistent: each runs atomically in Redis, so numbering,
/// storing and routing a message, or moving a session between servers, never interleave.
/// </summary>
/// <remarks>
/// Keys (all under <c>pc:</c>):
/// <code>
/// pc:s:{session}   hash   inst (server holding it), user, pu (token user or ""), prin (allowed rooms), tok, last (last seq),
///                         cseq (highest client sequence number processed)
/// pc:t:{token}     string session id
/// pc:l:{session}   list   held messages in seq order, each "{seq}|{envelope}"
/// pc:sr:{session}  hash   room -> how the session appears there (peer JSON)
/// pc:r:{room}      zset   member session ids, score = join order
/// pc:ri:{room}     hash   session id -> peer JSON
/// pc:rooms         set    rooms with members
/// pc:i:{server}    string presence of a live server, with expiry
/// pc:insts         set    servers that have registered
/// pc:is:{server}   set    sessions a server holds
/// pc:ch:{server}   pub/sub channel: "D{seq}|{envelope}" deliveries, "M{session}" session moved away
/// </code>
/// Scripts build key names from arguments, which a single Redis allows; Redis Cluster is not supported.
/// </remarks>
internal static class RedisScripts
{
    /// <summary>
    /// Numbers, holds and publishes a batch of deliveries, then applies the batch's acknowledgements. ARGV: max held,
    /// the count a of acknowledgements, a pairs (session, through), then per delivery: target, envelope, n, then n
    /// sender rooms; n is -1 for a message that is not a relayed signal (no room check). Returns one result per
    /// delivery: the seq, 0 when the target has no session, -1 when it shares none of the rooms, -2 when it holds too
    /// many messages already.
    /// </summary>
    /// <remarks>
    /// One script call per batch: the hub routes what it took from its queue in one go, so under load a call carries
    /// many deliveries and the fixed cost of a script call is paid once for them. The acknowledgements ride in the same
    /// call because clients acknowledge on every signal they send: at 1,000 signals/s a batch is mostly one signal and
    /// one acknowledgement, and a call of their own doubled the calls.
    /// The held log is a list appended in seq order: RPUSH costs a fraction of a ZADD of the same ~300-byte member and
    /// returns the length, so the rare overflow is undone rather than every append preceded by a length check; the
    /// log's expiry is set once when the append creates it (the keep-alive renews it with the session's keys).
    /// An acknowledgement drops the session's held items numbered up to <c>through</c> from the head of its log. The
    /// log is normally consecutive, so the count to drop is computed and checked at its two ends; after a resync merged
    /// numbering with gaps it walks the head instead.
    /// </remarks>
    public const string Route = """
        local function acknowledge(q, through)
          local function seqat(i)
            local item = redis.call('LINDEX', q, i)
            if not item then return nil end
            return tonumber(string.match(item, '^(%d+)|'))
          end
          local first = seqat(0)
          if not first or first > through then return end
          local drop = through - first + 1
          local last = seqat(drop - 1)
          local next = seqat(drop)
          if last and last <= through and (not next or next > through) then
            redis.call('LTRIM', q, drop, -1)
            return
          end
          while first and first <= through do
            redis.call('LPOP', q)
            first = seqat(0)
          end
        end
        local max = tonumber(ARGV[1])
        local acks = 3 + 2 * tonumber(ARGV[2])
        local out = {}
        local i = acks
        while i <= #ARGV do
          local target, envelope, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
          local first = i + 3
          i = first + math.max(n, 0)
          local s = 'pc:s:' .. target
          local inst = redis.call('HGET', s, 'inst')
          local result = 0
          if inst then
            local shared = n < 0
            for r = first, first + n - 1 do
              if redis.call('ZSCORE', 'pc:r:' .. ARGV[r], target) then shared = true break end
            end
            result = -1
            if shared then
              local q = 'pc:l:' .. target
              local seq = redis.call('HINCRBY', s, 'last', 1)
              local item = seq .. '|' .. envelope
              local held = redis.call('RPUSH', q, item)
              if held > max then
                redis.call('RPOP', q)
                redis.call('HINCRBY', s, 'last', -1)
                result = -2
              else
                if held == 1 then
                  local ttl = redis.call('PTTL', s)
                  if ttl > 0 then redis.call('PEXPIRE', q, ttl) end
                end
                redis.call('PUBLISH', 'pc:ch:' .. inst, 'D' .. item)
                result = seq
              end
            end
          end
          out[#out + 1] = result
        end
        for a = 3, acks - 1, 2 do
          acknowledge('pc:l:' .. ARGV[a], tonumber(ARGV[a + 1]))
        end
        return out
        """;

    /// <summary>ARGV: room, session, peer JSON, max members, max rooms. Returns {status, others...}: 0 joined, 1 already in, -1 full, -2 too many rooms.</summary>
    public const string Join = """
        local r, ri = 'pc:r:' .. ARGV[1], 'pc:ri:' .. ARGV[1]
        local ids = redis.call('ZRANGE', r, 0, -1)
        local already = redis.call('ZSCORE', r, ARGV[2])
        if not already then
          if #ids >= tonumber(ARGV[4]) then return {-1} end
          if #ids == 0 and redis.call('SCARD', 'pc:rooms') >= tonumber(ARGV[5]) then return {-2} end
        end
        local out = {already and 1 or 0}
        for _, id in ipairs(ids) do
          if id ~= ARGV[2] then out[#out + 1] = redis.call('HGET', ri, id) end
        end
        if not already then
          redis.call('ZADD', r, redis.call('INCR', 'pc:rseq'), ARGV[2])
          redis.call('HSET', ri, ARGV[2], ARGV[3])
          redis.call('SADD', 'pc:rooms', ARGV[1])
          redis.call('HSET', 'pc:sr:' .. ARGV[2], ARGV[1], ARGV[3])
        end
        return out
        """;

    /// <summary>ARGV: room, session. Returns the ids still in the room.</summary>
    public const string Leave = """
        local r, ri = 'pc:r:' .. ARGV[1], 'pc:ri:' .. ARGV[1]
        redis.call('ZREM', r, ARGV[2])
        redis.call('HDEL', ri, ARGV[2])
        redis.call('HDEL', 'pc:sr:' .. ARGV[2], ARGV[1])
        local ids = redis.call('ZRANGE', r, 0, -1)
        if #ids == 0 then
          redis.call('DEL', r, ri)
          redis.call('SREM', 'pc:rooms', ARGV[1])
        end
        return ids
        """;

    /// <summary>
    /// ARGV: 't' and a token, or 'i' and a session id; the claiming server; for 't' the caller's token user (or ""),
    /// for 'i' the dead server it must still belong to. Moves the session and tells its previous server.
    /// Returns nil, or {id, user, prin, tok, last, {room, peer, ...}, {held...}}.
    /// </summary>
    public const string Claim = """
        local id
        if ARGV[1] == 't' then
          id = redis.call('GET', 'pc:t:' .. ARGV[2])
          if not id then return nil end
        else
          id = ARGV[2]
        end
        local s = 'pc:s:' .. id
        local f = redis.call('HMGET', s, 'inst', 'user', 'pu', 'prin', 'tok', 'last')
        if not f[1] then return nil end
        if ARGV[1] == 't' and f[3] ~= ARGV[4] then return nil end
        if ARGV[1] == 'i' and f[1] ~= ARGV[4] then return nil end
        redis.call('HSET', s, 'inst', ARGV[3])
        redis.call('SREM', 'pc:is:' .. f[1], id)
        redis.call('SADD', 'pc:is:' .. ARGV[3], id)
        if f[1] ~= ARGV[3] then redis.call('PUBLISH', 'pc:ch:' .. f[1], 'M' .. id) end
        return {id, f[2], f[4], f[5], f[6], redis.call('HGETALL', 'pc:sr:' .. id), redis.call('LRANGE', 'pc:l:' .. id, 0, -1), redis.call('HGET', s, 'cseq') or '0'}
        """;

    /// <summary>
    /// ARGV: session, server, user, token user, prin, token, last seq, key lifetime ms, room count n, then n pairs
    /// (room, peer JSON), then held items, merged into the log in seq order. Writes a local session back, keeping the
    /// larger last seq, and drops room
    /// memberships the server no longer knows of.
    /// </summary>
    public const string Resync = """
        local id = ARGV[1]
        local s, sr, q = 'pc:s:' .. id, 'pc:sr:' .. id, 'pc:l:' .. id
        local last = tonumber(redis.call('HGET', s, 'last') or '0')
        if tonumber(ARGV[7]) > last then last = tonumber(ARGV[7]) end
        local old = redis.call('HKEYS', sr)
        redis.call('HSET', s, 'inst', ARGV[2], 'user', ARGV[3], 'pu', ARGV[4], 'prin', ARGV[5], 'tok', ARGV[6], 'last', last)
        redis.call('SET', 'pc:t:' .. ARGV[6], id, 'PX', ARGV[8])
        redis.call('SADD', 'pc:is:' .. ARGV[2], id)
        local n = tonumber(ARGV[9])
        local keep = {}
        for i = 0, n - 1 do
          local room, peer = ARGV[10 + 2 * i], ARGV[11 + 2 * i]
          keep[room] = true
          if not redis.call('ZSCORE', 'pc:r:' .. room, id) then
            redis.call('ZADD', 'pc:r:' .. room, redis.call('INCR', 'pc:rseq'), id)
          end
          redis.call('HSET', 'pc:ri:' .. room, id, peer)
          redis.call('HSET', sr, room, peer)
          redis.call('SADD', 'pc:rooms', room)
          redis.call('PEXPIRE', 'pc:r:' .. room, ARGV[8])
          redis.call('PEXPIRE', 'pc:ri:' .. room, ARGV[8])
        end
        for _, room in ipairs(old) do
          if not keep[room] then
            redis.call('ZREM', 'pc:r:' .. room, id)
            redis.call('HDEL', 'pc:ri:' .. room, id)
            redis.call('HDEL', sr, room)
          end
        end
        if #ARGV >= 10 + 2 * n then
          local held, seen = {}, {}
          for _, item in ipairs(redis.call('LRANGE', q, 0, -1)) do
            seen[item] = true
            held[#held + 1] = item
          end
          for i = 10 + 2 * n, #ARGV do
            if not seen[ARGV[i]] then
              seen[ARGV[i]] = true
              held[#held + 1] = ARGV[i]
            end
          end
          local function seqof(item) return tonumber(string.match(item, '^(%d+)|')) end
          table.sort(held, function(a, b)
            local sa, sb = seqof(a), seqof(b)
            if sa ~= sb then return sa < sb end
            return a < b
          end)
          redis.call('DEL', q)
          for i = 1, #held, 100 do redis.call('RPUSH', q, unpack(held, i, math.min(i + 99, #held))) end
        end
        for _, k in ipairs({s, sr, q}) do redis.call('PEXPIRE', k, ARGV[8]) end
        return last
        """;

    /// <summary>ARGV: session, token, server. Deletes an ended session.</summary>
    public const string End = """
        redis.call('DEL', 'pc:s:' .. ARGV[1], 'pc:l:' .. ARGV[1], 'pc:sr:' .. ARGV[1], 'pc:t:' .. ARGV[2])
        redis.call('SREM', 'pc:is:' .. ARGV[3], ARGV[1])
        return 1
        """;
}
