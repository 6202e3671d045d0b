package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// outcomes counts the runs of every River job by type and outcome: a River middleware, so that
// every worker is counted, the composition root's too.
type outcomes struct {
	river.MiddlewareDefaults
	runs *prometheus.CounterVec
}

func newOutcomes(reg prometheus.Registerer) *outcomes {
	o := &outcomes{runs: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rapport_jobs_total",
		Help: "Runs of background jobs by type (a job record's type, a periodic task's name, else River's kind) and outcome: succeeded, retried (failed, runs again), failed (for good), snoozed.",
	}, []string{"type", "outcome"})}
	reg.MustRegister(o.runs)
	return o
}

// Work counts the run's outcome.
func (o *outcomes) Work(ctx context.Context, j *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	var cancelled *rivertype.JobCancelError
	var snoozed *rivertype.JobSnoozeError
	outcome := "succeeded"
	switch {
	case err == nil:
	case errors.As(err, &snoozed):
		outcome = "snoozed"
	case errors.As(err, &cancelled) || j.Attempt >= j.MaxAttempts:
		outcome = "failed"
	default:
		outcome = "retried"
	}
	o.runs.WithLabelValues(jobType(j), outcome).Inc()
	return err
}

// jobType names what a River job does, for the labels.
func jobType(j *rivertype.JobRow) string {
	var args struct{ Type, Name string }
	switch j.Kind {
	case recordKind:
		if json.Unmarshal(j.EncodedArgs, &args) == nil {
			return args.Type
		}
	case taskKind:
		if json.Unmarshal(j.EncodedArgs, &args) == nil {
			return args.Name
		}
	}
	return j.Kind
}

// depth reads the depth of the queue from River's table when scraped.
type depth struct {
	client *river.Client[*sql.Tx]
	desc   *prometheus.Desc
}

func newDepth(client *river.Client[*sql.Tx]) depth {
	return depth{client: client, desc: prometheus.NewDesc("rapport_job_queue_depth",
		"Jobs in River's queue across instances, by queue and state: available (waiting for a worker) or running.",
		[]string{"queue", "state"}, nil)}
}

func (d depth) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect reads the depth of the default queue, the only one.
func (d depth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := d.client.Driver().GetExecutor().JobCountByQueueAndState(ctx, &riverdriver.JobCountByQueueAndStateParams{
		QueueNames: []string{river.QueueDefault}})
	if err != nil {
		return
	}
	for _, c := range counts {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(c.CountAvailable), c.Queue, "available")
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(c.CountRunning), c.Queue, "running")
	}
}
