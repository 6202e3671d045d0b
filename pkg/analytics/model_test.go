package analytics

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// cdnowSummary reads the CDNOW sample's calibration summary (x, t_x, T in weeks, zbar).
func cdnowSummary(t *testing.T) []History {
	t.Helper()
	f, err := os.Open("../../testdata/cdnow/cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var hs []History
	for _, row := range rows[1:] {
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(row[i], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		hs = append(hs, History{X: int(num(1)), Tx: num(2), T: num(3), MeanValue: num(4), Weight: 1})
	}
	return hs
}

func within(t *testing.T, name string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.6g, want %.6g (±%.2g%%)", name, got, want, rel*100)
	}
}

// The published figures: Fader, Hardie & Lee (2005) for BG/NBD, Fader, Hardie & Lee (2005b,
// "RFM and CLV: using iso-value curves") for Gamma-Gamma.
func TestCDNOWPublishedEstimates(t *testing.T) {
	hs := cdnowSummary(t)
	if len(hs) != 2357 {
		t.Fatalf("%d customers, want 2357", len(hs))
	}
	published := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}
	within(t, "BG/NBD log-likelihood at the published estimates", published.LogLikelihood(hs), -9582.43, 0.0001)

	m, ll, err := FitBGNBD(hs)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "r", m.R, 0.2426, 0.005)
	within(t, "alpha", m.Alpha, 4.4136, 0.005)
	within(t, "a", m.A, 0.7929, 0.005)
	within(t, "b", m.B, 2.4259, 0.005)
	within(t, "log-likelihood", ll, -9582.43, 0.0001)
	within(t, "E[Y(39)] of customer 0001", m.ExpectedPurchases(History{X: 2, Tx: 30.43, T: 38.86}, 39), 1.226, 0.005)

	g, gll, err := FitGammaGamma(hs)
	if err != nil {
		t.Fatal(err)
	}
	var repeat int
	for _, h := range hs {
		if h.X > 0 {
			repeat++
		}
	}
	if repeat != 946 {
		t.Errorf("%d repeat buyers, want 946", repeat)
	}
	within(t, "p", g.P, 6.25, 0.005)
	within(t, "q", g.Q, 3.74, 0.005)
	within(t, "gamma", g.Gamma, 15.44, 0.005)
	within(t, "Gamma-Gamma log-likelihood", gll, -4055.92, 0.0001)
}

func TestPredictions(t *testing.T) {
	m := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}
	// Without repeat purchases a customer has not been seen to drop out.
	if p := m.PAlive(History{X: 0, T: 30}); p != 1 {
		t.Errorf("P(alive) with x = 0: %v", p)
	}
	// The same frequency with a long silence since the last purchase is less likely alive.
	recent, silent := m.PAlive(History{X: 5, Tx: 38, T: 39}), m.PAlive(History{X: 5, Tx: 5, T: 39})
	if !(recent > 0.85 && silent < 0.01) {
		t.Errorf("P(alive) recent %v, silent %v", recent, silent)
	}
	// E[Y(t)] grows with t and is 0 at t = 0.
	h := History{X: 2, Tx: 30.43, T: 38.86}
	if m.ExpectedPurchases(h, 0) != 0 || m.ExpectedPurchases(h, 10) >= m.ExpectedPurchases(h, 39) {
		t.Error("E[Y(t)] does not grow with t")
	}
	// Gamma-Gamma: with no repeat purchases, the population mean pγ/(q-1); many purchases pull
	// the estimate towards the customer's own mean.
	g := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	within(t, "population mean", g.ExpectedValue(History{}), 6.25*15.44/2.74, 1e-12)
	if v := g.ExpectedValue(History{X: 100, MeanValue: 80}); math.Abs(v-80) > 2 {
		t.Errorf("E[M] with 100 purchases of mean 80 = %v", v)
	}
}

// gonum's hypergeometric function, which the predictions rely on, at values computed with
// mpmath's hyp2f1, near z = 1 included.
func TestHypergeometric(t *testing.T) {
	for _, c := range []struct{ a, b, c, z, want float64 }{
		{2.2426, 4.4259, 6.2188, 39 / (4.4136 + 38.86 + 39), 2.64442470963027},
		{1, 1, 2, 0.5, 2 * math.Ln2},
		{12.5, 20.3, 22.1, 0.93, 6218397881484.84},
		{0.3, 2.4, 2.2, 0.99, 5.9160814670639},
	} {
		within(t, "2F1", mathext.Hypergeo(c.a, c.b, c.c, c.z), c.want, 1e-8)
	}
}
