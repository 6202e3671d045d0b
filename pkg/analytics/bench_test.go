package analytics

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulate draws n customers' histories from the BG/NBD process with the given parameters, each
// observed for a uniform 1 to 104 weeks, with spend from the Gamma-Gamma model.
func simulate(n int, m BGNBD, g GammaGamma, seed uint64) []History {
	src := rand.New(rand.NewPCG(seed, seed+1))
	rates := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: src}
	drops := distuv.Beta{Alpha: m.A, Beta: m.B, Src: src}
	scales := distuv.Gamma{Alpha: g.Q, Beta: g.Gamma, Src: src}
	hs := make([]History, n)
	for i := range hs {
		lambda, p, nu := rates.Rand(), drops.Rand(), scales.Rand()
		spend := distuv.Gamma{Alpha: g.P, Beta: nu, Src: src}
		h := History{T: 1 + 103*src.Float64(), Weight: 1}
		var total float64
		for t := 0.0; ; {
			if src.Float64() < p && t > 0 {
				break
			}
			t += src.ExpFloat64() / lambda
			if t > h.T {
				break
			}
			h.X++
			h.Tx = t
			total += spend.Rand()
		}
		if h.X > 0 {
			h.MeanValue = total / float64(h.X)
		}
		hs[i] = h
	}
	return hs
}

// BenchmarkFit fits both models to a million simulated customers with CDNOW-like parameters.
func BenchmarkFit(b *testing.B) {
	truth, spend := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}, GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	hs := simulate(1_000_000, truth, spend, 1)
	for b.Loop() {
		m, _, err := FitBGNBD(grouped(hs))
		if err != nil {
			b.Fatal(err)
		}
		g, _, err := FitGammaGamma(hs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(m.R, "r")
		b.ReportMetric(m.A, "a")
		b.ReportMetric(g.P, "p")
	}
}
