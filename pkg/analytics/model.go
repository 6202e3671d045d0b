package analytics

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// History is one customer's purchase history in the form the models read: X repeat purchases
// (distinct purchase days after the first), the first-to-last span Tx and the age T (first purchase
// to the as-of date), both in weeks, and the mean value of the repeat purchase days.
type History struct {
	X         int
	Tx, T     float64
	MeanValue float64
	Weight    float64 // how many customers share this history (1 unless grouped)
}

// BGNBD holds the parameters of the BG/NBD model (Fader, Hardie & Lee 2005): purchases while
// alive follow a Poisson process whose rates are Gamma(r, α) across customers; after each purchase
// a customer drops out with probability p, and p is Beta(a, b) across customers.
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
} // @name BGNBDParams

// GammaGamma holds the parameters of the Gamma-Gamma spend model (Fader, Hardie & Lee 2005b):
// a customer's purchase values are Gamma(p, ν), and ν is Gamma(q, γ) across customers.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
} // @name GammaGammaParams

// ErrTooFewCustomers is answered when the data cannot identify a model's parameters.
var ErrTooFewCustomers = errors.New("too few customers with repeat purchases to fit the model")

// logSumExp returns log(e^a + e^b) without overflow.
func logSumExp(a, b float64) float64 {
	m := math.Max(a, b)
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// LogLikelihood is the BG/NBD log-likelihood of the histories (equation 6 of the paper, summed in
// log space):
//
//	L = Γ(r+x)α^r/Γ(r) · B(a, b+x)/B(a, b) · [ (α+T)^-(r+x) + δ(x>0) a/(b+x-1) (α+t_x)^-(r+x) ]
func (m BGNBD) LogLikelihood(hs []History) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	base := r*math.Log(alpha) - lgamma(r) + lgamma(a+b) - lgamma(b)
	return parallelSum(hs, func(part []History) float64 {
		var sum, ll float64
		prevX := -1
		for _, h := range part {
			x := float64(h.X)
			if h.X != prevX { // the histories come sorted by X: the log-gammas once per X
				ll, prevX = base+lgamma(r+x)+lgamma(b+x)-lgamma(a+b+x), h.X
			}
			tail := -(r + x) * math.Log(alpha+h.T)
			if h.X > 0 {
				tail = logSumExp(tail, math.Log(a)-math.Log(b+x-1)-(r+x)*math.Log(alpha+h.Tx))
			}
			sum += h.Weight * (ll + tail)
		}
		return sum
	})
}

// parallelSum sums f over parts of hs on every core.
func parallelSum(hs []History, f func([]History) float64) float64 {
	workers := runtime.GOMAXPROCS(0)
	if len(hs) < 10_000 {
		return f(hs)
	}
	sums := make([]float64, workers)
	var wg sync.WaitGroup
	size := (len(hs) + workers - 1) / workers
	for w := range workers {
		wg.Go(func() { sums[w] = f(hs[min(w*size, len(hs)):min((w+1)*size, len(hs))]) })
	}
	wg.Wait()
	var sum float64
	for _, v := range sums {
		sum += v
	}
	return sum
}

// PAlive is the probability that a customer with history h is still active at the as-of date:
//
//	P(alive) = 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
func (m BGNBD) PAlive(h History) float64 {
	if h.X == 0 {
		return 1
	}
	x := float64(h.X)
	return 1 / (1 + m.A/(m.B+x-1)*math.Exp((m.R+x)*(math.Log(m.Alpha+h.T)-math.Log(m.Alpha+h.Tx))))
}

// ExpectedPurchases is the expected number of purchases in the next t weeks of a customer with
// history h (equation 10 of the paper):
//
//	E[Y(t)] = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive)
func (m BGNBD) ExpectedPurchases(h History, t float64) float64 {
	if t <= 0 {
		return 0
	}
	x := float64(h.X)
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	z := t / (alpha + h.T + t)
	f := mathext.Hypergeo(r+x, b+x, a+b+x-1, z)
	ratio := math.Exp((r + x) * (math.Log(alpha+h.T) - math.Log(alpha+h.T+t)))
	return (a + b + x - 1) / (a - 1) * (1 - ratio*f) * m.PAlive(h)
}

// LogLikelihood is the Gamma-Gamma log-likelihood of the repeat buyers' mean values m over x
// purchases:
//
//	f(m | p, q, γ, x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q m^(px-1) x^(px) / (γ+mx)^(px+q)
func (m GammaGamma) LogLikelihood(hs []History) float64 {
	p, q, g := m.P, m.Q, m.Gamma
	base := q*math.Log(g) - lgamma(q)
	return parallelSum(hs, func(part []History) float64 {
		var sum, ll float64
		prevX := -1
		for _, h := range part {
			if h.X == 0 {
				continue
			}
			x, v := float64(h.X), h.MeanValue
			if h.X != prevX {
				ll, prevX = base+lgamma(p*x+q)-lgamma(p*x)+p*x*math.Log(x), h.X
			}
			sum += h.Weight * (ll + (p*x-1)*math.Log(v) - (p*x+q)*math.Log(g+v*x))
		}
		return sum
	})
}

// ExpectedValue is the expected value of a customer's future purchases given their repeat
// purchases: a weighted mean of the population mean pγ/(q-1) and the customer's own mean,
//
//	E[M | x, m] = p(γ + x·m) / (px + q - 1)
func (m GammaGamma) ExpectedValue(h History) float64 {
	x := float64(h.X)
	return m.P * (m.Gamma + x*h.MeanValue) / (m.P*x + m.Q - 1)
}

// byFrequency returns the histories sorted by X, so that the likelihoods compute their
// log-gamma terms once per distinct X.
func byFrequency(hs []History) []History {
	sorted := slices.Clone(hs)
	slices.SortStableFunc(sorted, func(a, b History) int { return a.X - b.X })
	return sorted
}

// maximize finds the positive parameters that maximize ll with BFGS over their logarithms
// (which keeps them positive), starting from start, with central-difference gradients. BFGS
// needs a third of Nelder-Mead's likelihood evaluations on CDNOW. Near the optimum the numerical
// gradient's noise can end the line search early; the best point found is the answer, and the
// CDNOW test checks that it is the published one.
func maximize(start []float64, ll func([]float64) float64) ([]float64, float64, error) {
	x0 := make([]float64, len(start))
	for i, v := range start {
		x0[i] = math.Log(v)
	}
	f := func(x []float64) float64 {
		params := make([]float64, len(x))
		for i, v := range x {
			params[i] = math.Exp(v)
		}
		v := ll(params)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(1)
		}
		return -v
	}
	problem := optimize.Problem{Func: f, Grad: func(grad, x []float64) {
		fd.Gradient(grad, f, x, &fd.Settings{Formula: fd.Central})
	}}
	settings := &optimize.Settings{MajorIterations: 500, GradientThreshold: 1e-6}
	res, err := optimize.Minimize(problem, x0, settings, &optimize.BFGS{})
	if err != nil && res == nil {
		return nil, 0, err
	}
	out := make([]float64, len(start))
	for i, v := range res.X {
		out[i] = math.Exp(v)
	}
	return out, -res.F, nil
}

// FitBGNBD estimates the BG/NBD parameters by maximum likelihood.
func FitBGNBD(hs []History) (BGNBD, float64, error) {
	var repeat float64
	for _, h := range hs {
		if h.X > 0 {
			repeat += h.Weight
		}
	}
	if repeat < 2 {
		return BGNBD{}, 0, ErrTooFewCustomers
	}
	hs = byFrequency(hs)
	p, ll, err := maximize([]float64{1, 1, 1, 1}, func(p []float64) float64 {
		return BGNBD{p[0], p[1], p[2], p[3]}.LogLikelihood(hs)
	})
	if err != nil {
		return BGNBD{}, 0, err
	}
	return BGNBD{p[0], p[1], p[2], p[3]}, ll, nil
}

// FitGammaGamma estimates the Gamma-Gamma parameters by maximum likelihood over the repeat
// buyers with a positive mean value.
func FitGammaGamma(hs []History) (GammaGamma, float64, error) {
	var buyers []History
	var n float64
	for _, h := range hs {
		if h.X > 0 && h.MeanValue > 0 {
			buyers = append(buyers, h)
			n += h.Weight
		}
	}
	if n < 2 {
		return GammaGamma{}, 0, ErrTooFewCustomers
	}
	buyers = byFrequency(buyers)
	p, ll, err := maximize([]float64{1, 1, 1}, func(p []float64) float64 {
		return GammaGamma{p[0], p[1], p[2]}.LogLikelihood(buyers)
	})
	if err != nil {
		return GammaGamma{}, 0, err
	}
	return GammaGamma{p[0], p[1], p[2]}, ll, nil
}
