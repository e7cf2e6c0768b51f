package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditPageMax bounds one page of the audit view, whatever the caller asks.
const AuditPageMax = 200

// AuditFilter picks events from the log for the admin's audit view. Empty
// fields do not filter. Type and Stream match exactly, or as a prefix when
// they end in "." (a type family, "user.") or "-" (a stream kind, "user-").
type AuditFilter struct {
	Actor  string    // the metadata's actor: a user id or "system"
	Type   string    // event type
	Stream string    // stream id
	Since  time.Time // recorded at or after
	Until  time.Time // recorded before
	Before int64     // positions below this (the next page); 0: from the head
	Limit  int       // 1..AuditPageMax; 0: 50
}

// AuditEvent is one event as the audit view shows it.
type AuditEvent struct {
	Position      int64
	StreamID      string
	StreamVersion int64
	Type          string
	SchemaVersion int
	Data          json.RawMessage // as written: events never hold a secret in clear
	Actor         string
	ActorKind     string
	ClientIP      string
	RequestID     string
	RecordedAt    time.Time
}

// Audit returns the newest events that match f, newest first. It reads
// the log backwards along its primary key and stops at the page's size,
// so a page costs what it returns unless the filters match rarely; the
// pool's statement timeout bounds that case.
func (r *Reader) Audit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, AuditPageMax)
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Actor != "" {
		where = append(where, "metadata->>'actor' = "+arg(f.Actor))
	}
	for _, m := range []struct{ column, value, family string }{{"event_type", f.Type, "."}, {"stream_id", f.Stream, "-"}} {
		switch {
		case m.value == "":
		case strings.HasSuffix(m.value, m.family):
			where = append(where, "starts_with("+m.column+", "+arg(m.value)+")")
		default:
			where = append(where, m.column+" = "+arg(m.value))
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "recorded_at >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "recorded_at < "+arg(f.Until))
	}
	if f.Before > 0 {
		where = append(where, "position < "+arg(f.Before))
	}
	sql := `SELECT position, stream_id, stream_version, event_type, schema_version, data, coalesce(metadata->>'actor', ''),
		coalesce(metadata->>'actorKind', ''), coalesce(metadata->>'clientIp', ''), coalesce(metadata->>'requestId', ''), recorded_at FROM events`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY position DESC LIMIT " + arg(limit)
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("queries: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var data []byte
		if err := rows.Scan(&e.Position, &e.StreamID, &e.StreamVersion, &e.Type, &e.SchemaVersion, &data, &e.Actor,
			&e.ActorKind, &e.ClientIP, &e.RequestID, &e.RecordedAt); err != nil {
			return nil, fmt.Errorf("queries: audit: %w", err)
		}
		e.Data = data
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: audit: %w", err)
	}
	return out, nil
}
