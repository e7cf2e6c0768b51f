package projections

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// NewRouter returns a watermill router with the middleware every consumer
// of the log runs under: a panic becomes an error, and an error is retried
// with backoff before the message is nacked (and then redelivered by the
// eventstore subscriber, which never skips an event).
func NewRouter(logger *slog.Logger) (*message.Router, error) {
	wlog := watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // the router's per-handler chatter is not operator news
	})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wlog)
	if err != nil {
		return nil, fmt.Errorf("projections: new router: %w", err)
	}
	router.AddMiddleware(
		middleware.Retry{
			MaxRetries:      5,
			InitialInterval: 50 * time.Millisecond,
			MaxInterval:     2 * time.Second,
			Multiplier:      2,
			Logger:          wlog,
		}.Middleware,
		recoverPanic(logger),
	)
	return router, nil
}

// recoverPanic turns a handler's panic into an error. Unlike watermill's
// Recoverer it keeps the stack trace out of the error, which ends up in logs.
func recoverPanic(logger *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) (out []*message.Message, err error) {
			defer func() {
				if p := recover(); p != nil {
					logger.Error("event handler panicked", "message", msg.UUID, "panic", fmt.Sprint(p))
					err = fmt.Errorf("handler panicked: %v", p)
				}
			}()
			return h(msg)
		}
	}
}
