package redisx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/ratelimit"
)

// Invalidations carry auth's invalidations to every instance on the channel
// PREFIX:auth:invalidations. An instance subscribes once and holds the subscription, subscribing
// again (with a growing pause, up to 5 s) whenever the connection is lost; each subscription
// confirmed makes it forget every cached user and key, since it may have missed invalidations in
// between. Publishing or subscribing while Redis does not answer logs a warning (at most one a
// minute of each) and leaves the cache's TTL as the bound.
type Invalidations struct {
	c          *Client
	channel    string
	log        *slog.Logger
	warnings   *ratelimit.Memory
	received   prometheus.Counter
	subscribed prometheus.Gauge
}

var _ auth.Invalidations = (*Invalidations)(nil)

const (
	// subscribeWait bounds how long Subscribe waits for the first subscription, so that an
	// instance that starts is listening before it serves, unless Redis is down.
	subscribeWait = 2 * time.Second
	// healthEvery is how long a quiet subscription waits before it pings Redis; a ping without an
	// answer in as long again ends the connection, and a new one is made.
	healthEvery = 30 * time.Second
	minPause    = 100 * time.Millisecond
	maxPause    = 5 * time.Second
)

// Invalidations returns the client's carrier of invalidations, logging to log and counting in reg.
func (c *Client) Invalidations(log *slog.Logger, reg prometheus.Registerer) *Invalidations {
	b := &Invalidations{c: c, channel: c.prefix + ":auth:invalidations", log: log, warnings: ratelimit.New(1.0/60, 1),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rapport_auth_invalidations_received_total",
			Help: "Invalidations of cached users and API keys received from Redis (this instance's own included).",
		}),
		subscribed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rapport_auth_invalidations_subscribed",
			Help: "1 while this instance listens for invalidations on Redis; 0 while it cannot, when a change made through another instance shows within RAPPORT_AUTH_CACHE_TTL.",
		}),
	}
	reg.MustRegister(b.received, b.subscribed)
	return b
}

// message is an invalidation on the wire.
type message struct {
	User   uuid.UUID `json:"user,omitzero"`
	APIKey uuid.UUID `json:"api_key,omitzero"`
}

// Publish sends inv to every instance. A failure is logged, not returned: the change is made, and
// the other instances see it within the cache's TTL.
func (b *Invalidations) Publish(ctx context.Context, inv auth.Invalidation) {
	payload, err := json.Marshal(message{User: inv.UserID, APIKey: inv.APIKeyID})
	if err == nil {
		err = b.c.rdb.Publish(context.WithoutCancel(ctx), b.channel, payload).Err()
	}
	if err != nil {
		b.warn("publish", "could not publish an invalidation: other instances drop their cached copy within RAPPORT_AUTH_CACHE_TTL", err)
	}
}

// Subscribe listens until the client is closed, calling forget for each invalidation and
// forgetAll for each subscription confirmed. It returns once the first subscription is confirmed,
// or failed, or after subscribeWait.
func (b *Invalidations) Subscribe(forget func(auth.Invalidation), forgetAll func()) {
	first := make(chan struct{})
	var once sync.Once
	settled := func() { once.Do(func() { close(first) }) }
	b.c.wg.Go(func() {
		pause, warned := minPause, false
		for {
			err := b.listen(settled, &pause, &warned, forget, forgetAll)
			b.subscribed.Set(0)
			settled()
			if b.c.ctx.Err() != nil {
				return
			}
			warned = b.warn("subscribe", "not listening for invalidations: cached users and keys are dropped within RAPPORT_AUTH_CACHE_TTL until Redis answers", err) || warned
			select {
			case <-b.c.ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, maxPause)
		}
	})
	select {
	case <-first:
	case <-time.After(subscribeWait):
	}
}

// listen holds one subscription until its connection fails. Once subscribed it resets the pause
// between attempts and, if the outage was warned about, says that it is over.
func (b *Invalidations) listen(settled func(), pause *time.Duration, warned *bool, forget func(auth.Invalidation), forgetAll func()) error {
	ctx := b.c.ctx
	ps := b.c.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // wakes a Receive that waits
	defer stop()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthEvery)
		var netErr net.Error
		switch {
		case err != nil && errors.As(err, &netErr) && netErr.Timeout() && !pinged:
			if err := ps.Ping(ctx); err != nil {
				return err
			}
			pinged = true
			continue
		case err != nil:
			return err
		}
		pinged = false
		switch msg := msg.(type) {
		case *redis.Subscription:
			forgetAll()
			b.subscribed.Set(1)
			*pause = minPause
			settled()
			if *warned {
				*warned = false
				b.log.Info("listening for invalidations again")
			}
		case *redis.Message:
			var m message
			if err := json.Unmarshal([]byte(msg.Payload), &m); err != nil {
				b.log.Warn("an invalidation that is not one", "payload", msg.Payload, "error", err)
				continue
			}
			forget(auth.Invalidation{UserID: m.User, APIKeyID: m.APIKey})
			b.received.Inc()
		}
	}
}

// warn logs msg unless a warning about what was logged less than a minute ago, and says whether
// it did.
func (b *Invalidations) warn(what, msg string, err error) bool {
	if !b.warnings.Take(b.c.ctx, what).Allowed {
		return false
	}
	b.log.Warn(msg, "error", err)
	return true
}
