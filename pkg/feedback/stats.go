package feedback

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Groupings of the statistics.
var GroupBys = []string{"month", "week", "channel", "survey", "lifecycle_stage"}

// StatsQuery asks for the figures of feedback created in [From, To), optionally grouped.
type StatsQuery struct {
	From, To time.Time
	GroupBy  string
}

// SurveyCounts are the raw survey tallies of one group, summed in the database.
type SurveyCounts struct {
	Key                                 string
	NPS, Promoters, Passives, Detractor int
	CSAT, Satisfied                     int
	CES                                 int
	CESSum                              float64
}

// ComplaintFacts are one complaint's times, for the percentile and SLA figures.
type ComplaintFacts struct {
	Key                                 string
	Status                              string
	CreatedAt                           time.Time
	FirstResponseAt, ResolvedAt         *time.Time
	FirstResponseDueAt, ResolutionDueAt *time.Time
}

// StatsStore reads the raw material of the statistics.
type StatsStore interface {
	SurveyCounts(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]SurveyCounts, error)
	ComplaintFacts(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]ComplaintFacts, error)
	// OpenComplaints returns the creation times of every complaint not resolved or closed.
	OpenComplaints(ctx context.Context, orgID uuid.UUID) ([]time.Time, error)
}

// NPS is the Net Promoter Score: % promoters (9–10) − % detractors (0–6), from −100 to 100.
type NPS struct {
	Score                                     *float64
	Promoters, Passives, Detractors, Answered int
}

// CSAT is the share of satisfied answers (4 or 5 on 1–5), in percent.
type CSAT struct {
	Score               *float64
	Satisfied, Answered int
}

// CES is the mean Customer Effort Score (1–7).
type CES struct {
	Mean     *float64
	Answered int
}

// Percentiles of a duration, in seconds; nil without data.
type Percentiles struct {
	Median, P90 *float64
}

// ComplaintStats are the complaint handling figures of complaints created in the period.
type ComplaintStats struct {
	Count         int
	ByStatus      map[string]int
	FirstResponse Percentiles
	Resolution    Percentiles
	// BreachRate is the share (0–1) of complaints that missed a first-response or resolution
	// target, as of now; nil without complaints.
	BreachRate *float64
}

// Stats are the figures of one group, or of all.
type Stats struct {
	Key        string
	NPS        NPS
	CSAT       CSAT
	CES        CES
	Complaints ComplaintStats
}

// Backlog is the complaints open now, by age.
type Backlog struct {
	Open  int
	ByAge map[string]int
}

// Report is the answer to a statistics query.
type Report struct {
	Overall Stats
	Groups  []Stats
	Backlog Backlog
}

// maxStatsRange bounds a query, so that one request cannot aggregate an organization's decades.
const maxStatsRange = 3*366*24*time.Hour + time.Hour

// Stats computes the report; now decides SLA states and backlog ages.
func (s *Service) Stats(ctx context.Context, orgID uuid.UUID, q StatsQuery) (Report, error) {
	var bad apperr.Fields
	if !q.To.After(q.From) {
		bad.Add("to", "must be after from")
	} else if q.To.Sub(q.From) > maxStatsRange {
		bad.Add("to", "must be at most 3 years after from")
	}
	if q.GroupBy != "" && !slices.Contains(GroupBys, q.GroupBy) {
		bad.Add("group_by", "must be one of month, week, channel, survey, lifecycle_stage")
	}
	if err := bad.Err(); err != nil {
		return Report{}, err
	}
	counts, err := s.store.SurveyCounts(ctx, orgID, q)
	if err != nil {
		return Report{}, err
	}
	facts, err := s.store.ComplaintFacts(ctx, orgID, q)
	if err != nil {
		return Report{}, err
	}
	open, err := s.store.OpenComplaints(ctx, orgID)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	report := Report{Backlog: backlog(open, now)}
	var total SurveyCounts
	groups := map[string]*Stats{}
	group := func(key string) *Stats {
		if groups[key] == nil {
			groups[key] = &Stats{Key: key}
		}
		return groups[key]
	}
	for _, c := range counts {
		group(c.Key).surveys(c)
		total.add(c)
	}
	report.Overall.surveys(total)
	byKey := map[string][]ComplaintFacts{}
	for _, f := range facts {
		byKey[f.Key] = append(byKey[f.Key], f)
	}
	for key, fs := range byKey {
		group(key).Complaints = complaintStats(fs, now)
	}
	report.Overall.Complaints = complaintStats(facts, now)
	if q.GroupBy != "" {
		for _, g := range groups {
			if g.Complaints.ByStatus == nil {
				g.Complaints = complaintStats(nil, now)
			}
			report.Groups = append(report.Groups, *g)
		}
		sort.Slice(report.Groups, func(i, j int) bool { return report.Groups[i].Key < report.Groups[j].Key })
	}
	return report, nil
}

func (c *SurveyCounts) add(o SurveyCounts) {
	c.NPS, c.Promoters, c.Passives, c.Detractor = c.NPS+o.NPS, c.Promoters+o.Promoters, c.Passives+o.Passives, c.Detractor+o.Detractor
	c.CSAT, c.Satisfied, c.CES, c.CESSum = c.CSAT+o.CSAT, c.Satisfied+o.Satisfied, c.CES+o.CES, c.CESSum+o.CESSum
}

func ratio(part, whole float64) *float64 {
	if whole == 0 {
		return nil
	}
	r := part / whole
	return &r
}

func round(p *float64, digits int) *float64 {
	if p == nil {
		return nil
	}
	f := math.Pow(10, float64(digits))
	r := math.Round(*p*f) / f
	return &r
}

func (s *Stats) surveys(c SurveyCounts) {
	s.NPS = NPS{Promoters: c.Promoters, Passives: c.Passives, Detractors: c.Detractor, Answered: c.NPS}
	if c.NPS > 0 {
		score := 100 * float64(c.Promoters-c.Detractor) / float64(c.NPS)
		s.NPS.Score = round(&score, 2)
	}
	s.CSAT = CSAT{Satisfied: c.Satisfied, Answered: c.CSAT}
	if p := ratio(100*float64(c.Satisfied), float64(c.CSAT)); p != nil {
		s.CSAT.Score = round(p, 2)
	}
	s.CES = CES{Answered: c.CES, Mean: round(ratio(c.CESSum, float64(c.CES)), 3)}
}

func complaintStats(facts []ComplaintFacts, now time.Time) ComplaintStats {
	st := ComplaintStats{Count: len(facts), ByStatus: map[string]int{}}
	var first, resolve []float64
	breached := 0
	for _, f := range facts {
		st.ByStatus[f.Status]++
		if f.FirstResponseAt != nil {
			first = append(first, f.FirstResponseAt.Sub(f.CreatedAt).Seconds())
		}
		if f.ResolvedAt != nil {
			resolve = append(resolve, f.ResolvedAt.Sub(f.CreatedAt).Seconds())
		}
		if SLAState(f.FirstResponseDueAt, f.FirstResponseAt, now) == SLABreached || SLAState(f.ResolutionDueAt, f.ResolvedAt, now) == SLABreached {
			breached++
		}
	}
	st.FirstResponse = Percentiles{Median: round(percentile(first, 0.5), 1), P90: round(percentile(first, 0.9), 1)}
	st.Resolution = Percentiles{Median: round(percentile(resolve, 0.5), 1), P90: round(percentile(resolve, 0.9), 1)}
	st.BreachRate = round(ratio(float64(breached), float64(len(facts))), 4)
	return st
}

// percentile interpolates linearly between the closest ranks, as PostgreSQL's percentile_cont.
func percentile(values []float64, p float64) *float64 {
	if len(values) == 0 {
		return nil
	}
	v := slices.Clone(values)
	slices.Sort(v)
	pos := p * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	r := v[lo] + (pos-float64(lo))*(v[hi]-v[lo])
	return &r
}

// Backlog age buckets.
var BacklogBuckets = []struct {
	Name  string
	Below time.Duration
}{{"under_1d", 24 * time.Hour}, {"1d_to_3d", 72 * time.Hour}, {"3d_to_7d", 168 * time.Hour}, {"over_7d", math.MaxInt64}}

func backlog(created []time.Time, now time.Time) Backlog {
	b := Backlog{Open: len(created), ByAge: map[string]int{}}
	for _, bucket := range BacklogBuckets {
		b.ByAge[bucket.Name] = 0
	}
	for _, t := range created {
		age := now.Sub(t)
		for _, bucket := range BacklogBuckets {
			if age < bucket.Below {
				b.ByAge[bucket.Name]++
				break
			}
		}
	}
	return b
}
