-- append_events appends events to one or more streams in a single statement
-- (one round trip, its own transaction when called outside one). It holds
-- the append lock until commit, checks every stream's expected version,
-- numbers and chains the rows, and notifies listeners of the new head.
--
-- p_streams/p_expected: the streams written and the version each is expected
-- to be at (-1: any). p_event_streams, p_types, p_schemas, p_data: one entry
-- per event, in order. Returns the first and last positions written.
--
-- The hash of each row is sha256(previous hash || row), where the row is
-- the concatenation of: position (8 bytes, big-endian), stream id,
-- stream version (8 bytes), event type, schema version (4 bytes), data,
-- metadata, recorded time; the text fields each preceded by their length in
-- bytes (4 bytes, big-endian). data and metadata are jsonb's own text form
-- (data::text), recorded time is UTC as YYYY-MM-DDTHH:MI:SS.ffffffZ.
-- eventstore/hash.go computes the same to verify; keep them in step.
-- One length-prefixed text field of the hashed row.
CREATE FUNCTION append_events_field(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT int4send(length(convert_to(t, 'UTF8'))) || convert_to(t, 'UTF8')
$$;

CREATE FUNCTION append_events(
    p_streams text[], p_expected bigint[],
    p_event_streams text[], p_types text[], p_schemas integer[], p_data jsonb[], p_meta jsonb,
    OUT first_position bigint, OUT last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    head     bigint;
    prev     bytea;
    actual   bigint;
    versions jsonb := '{}';
    now_at   timestamptz;
    at_text  text;
    meta_txt text := p_meta::text;
    pos      bigint;
    ver      bigint;
    h        bytea;
BEGIN
    -- Held until commit: this is what makes positions gapless and in commit order.
    PERFORM pg_advisory_xact_lock(1095789671); -- 0x41506c67, "APlg"
    -- Each statement below takes a new snapshot: it sees every append that
    -- committed before the lock was ours.
    SELECT e.position, e.hash INTO head, prev FROM events e ORDER BY e.position DESC LIMIT 1;
    IF NOT FOUND THEN
        head := 0;
        prev := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
        SELECT e.stream_version INTO actual FROM events e
            WHERE e.stream_id = p_streams[i] ORDER BY e.stream_version DESC LIMIT 1;
        IF NOT FOUND THEN
            actual := 0;
        END IF;
        IF p_expected[i] <> -1 AND p_expected[i] <> actual THEN
            RAISE EXCEPTION USING ERRCODE = 'AP409', MESSAGE = 'version conflict',
                DETAIL = json_build_object('stream', p_streams[i], 'expected', p_expected[i], 'actual', actual)::text;
        END IF;
        versions := versions || jsonb_build_object(p_streams[i], actual);
    END LOOP;

    now_at := date_trunc('microseconds', clock_timestamp());
    at_text := to_char(now_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    pos := head;
    FOR i IN 1 .. array_length(p_types, 1) LOOP
        pos := pos + 1;
        ver := (versions ->> p_event_streams[i])::bigint + 1;
        versions := versions || jsonb_build_object(p_event_streams[i], ver);
        h := sha256(prev
            || int8send(pos)
            || append_events_field(p_event_streams[i])
            || int8send(ver)
            || append_events_field(p_types[i])
            || int4send(p_schemas[i])
            || append_events_field(p_data[i]::text)
            || append_events_field(meta_txt)
            || append_events_field(at_text));
        INSERT INTO events (position, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, hash)
            VALUES (pos, p_event_streams[i], ver, p_types[i], p_schemas[i], p_data[i], p_meta, now_at, h);
        prev := h;
    END LOOP;
    PERFORM pg_notify('authportal_events', pos::text);
    first_position := head + 1;
    last_position := pos;
END $$;
