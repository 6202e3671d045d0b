package analytics

import (
	"math"
	"math/rand/v2"

	"github.com/google/uuid"
	"gonum.org/v1/gonum/stat/distuv"
)

// population draws customers from the BG/NBD process (Poisson purchases at a Gamma(r, α) rate,
// a Beta(a, b) chance to drop out after each repeat purchase) with Gamma-Gamma spend.
type population struct {
	src    *rand.Rand
	rates  distuv.Gamma
	drops  distuv.Beta
	scales distuv.Gamma
	p      float64
}

func newPopulation(m BGNBD, g GammaGamma, seed uint64) population {
	src := rand.New(rand.NewPCG(seed, seed+1))
	return population{src: src, rates: distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: src}, drops: distuv.Beta{Alpha: m.A, Beta: m.B, Src: src},
		scales: distuv.Gamma{Alpha: g.Q, Beta: g.Gamma, Src: src}, p: g.P}
}

// customer draws one customer's purchases in the horizon weeks after the first: their times in
// weeks (the first at 0) and values, and when they dropped out (+Inf: not within the horizon).
func (pop population) customer(horizon float64) (times, values []float64, dropped float64) {
	lambda, p := pop.rates.Rand(), pop.drops.Rand()
	spend := distuv.Gamma{Alpha: pop.p, Beta: pop.scales.Rand(), Src: pop.src}
	times, values = []float64{0}, []float64{spend.Rand()}
	for t := 0.0; ; {
		if len(times) > 1 && pop.src.Float64() < p {
			return times, values, t
		}
		if t += pop.src.ExpFloat64() / lambda; t > horizon {
			return times, values, math.Inf(1)
		}
		times, values = append(times, t), append(values, spend.Rand())
	}
}

// simulate draws n customers' histories, each observed for a uniform 1 to 104 weeks.
func simulate(n int, m BGNBD, g GammaGamma, seed uint64) []History {
	pop := newPopulation(m, g, seed)
	hs := make([]History, n)
	for i := range hs {
		h := History{T: 1 + 103*pop.src.Float64(), Weight: 1}
		times, values, _ := pop.customer(h.T)
		h.X, h.Tx = len(times)-1, times[len(times)-1]
		for _, v := range values[1:] {
			h.MeanValue += v / float64(h.X)
		}
		hs[i] = h
	}
	return hs
}

// simulateDays draws n customers whose first purchase falls on one of the acquisition days from
// day first, with their purchases summed by day to endDay and split at calDay, as PurchaseDays
// answers them (customers first buying after calDay included), and whether each was still alive
// at the end of calDay.
func simulateDays(n int, m BGNBD, g GammaGamma, seed uint64, first, acquisition, calDay, endDay int) ([]PurchaseDays, []bool) {
	pop := newPopulation(m, g, seed)
	out, alive := make([]PurchaseDays, n), make([]bool, n)
	for i := range out {
		born := first + pop.src.IntN(acquisition)
		times, values, dropped := pop.customer(float64(endDay-born+1) / 7)
		alive[i] = dropped == math.Inf(1) || born+int(dropped*7) > calDay
		c := PurchaseDays{CustomerID: uuid.UUID{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}}
		for k, t := range times {
			d := born + int(t*7)
			if d > endDay {
				break
			}
			if len(c.Days) > 0 && c.Days[len(c.Days)-1] == d {
				c.Values[len(c.Values)-1] += values[k]
				continue
			}
			c.Days, c.Values = append(c.Days, d), append(c.Values, values[k])
			if d <= calDay {
				c.Calibration++
			}
		}
		out[i] = c
	}
	return out, alive
}
