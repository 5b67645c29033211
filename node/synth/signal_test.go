package synth

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// churnData is the design matrix and label of a customers file: the
// features a churn job would use, standardised, with a leading intercept.
type churnData struct {
	x     [][]float64
	y     []float64
	names []string
}

func churnFeatures(t *testing.T, rows [][]string) churnData {
	t.Helper()
	d := churnData{names: []string{"intercept", "age", "tenure_months", "log_balance", "num_products",
		"has_credit_card", "is_active", "monthly_spend", "online", "mobile",
		"south", "east", "west", "capital"}}
	num := func(s string) float64 {
		if s == "NA" {
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	is := func(a, b string) float64 {
		if a == b {
			return 1
		}
		return 0
	}
	for _, r := range rows {
		d.x = append(d.x, []float64{1, num(r[3]), num(r[4]), math.Log1p(num(r[5])), num(r[6]),
			num(r[7]), num(r[8]), num(r[9]), is(r[11], "online"), is(r[11], "mobile"),
			is(r[10], "south"), is(r[10], "east"), is(r[10], "west"), is(r[10], "capital")})
		d.y = append(d.y, num(r[13]))
	}
	// Standardise every feature but the intercept.
	for j := 1; j < len(d.names); j++ {
		var m, v float64
		for _, x := range d.x {
			m += x[j]
		}
		m /= float64(len(d.x))
		for _, x := range d.x {
			v += (x[j] - m) * (x[j] - m)
		}
		sd := math.Sqrt(v / float64(len(d.x)))
		for _, x := range d.x {
			x[j] = (x[j] - m) / sd
		}
	}
	return d
}

// fitLogistic fits a logistic regression by Newton's method.
func fitLogistic(x [][]float64, y []float64) []float64 {
	k := len(x[0])
	beta := make([]float64, k)
	for range 8 {
		grad := make([]float64, k)
		hess := make([][]float64, k)
		for i := range hess {
			hess[i] = make([]float64, k+1)
		}
		for i, xi := range x {
			p := 1 / (1 + math.Exp(-dot(beta, xi)))
			w := p * (1 - p)
			for a := range k {
				grad[a] += (y[i] - p) * xi[a]
				for b := range k {
					hess[a][b] += w * xi[a] * xi[b]
				}
			}
		}
		for a := range k {
			hess[a][k] = grad[a]
		}
		step := solve(hess)
		for a := range beta {
			beta[a] += step[a]
		}
	}
	return beta
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// solve solves the augmented linear system m by Gaussian elimination with
// partial pivoting.
func solve(m [][]float64) []float64 {
	n := len(m)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for j := c; j <= n; j++ {
				m[r][j] -= f * m[c][j]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for j := r + 1; j < n; j++ {
			s -= m[r][j] * x[j]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// auc returns the area under the ROC curve of scores for labels y,
// counting ties as one half.
func auc(scores, y []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum, pos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2 // mean 1-based rank of the tied group
		for _, k := range idx[i:j] {
			if y[k] == 1 {
				rankSum += rank
				pos++
			}
		}
		i = j
	}
	neg := float64(len(y)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func TestChurnSignal(t *testing.T) {
	t.Parallel()
	for _, p := range Consortium(3, 5000, 21) {
		p.Customers = 5000
		var buf strings.Builder
		if err := p.WriteCustomers(&buf); err != nil {
			t.Fatal(err)
		}
		d := churnFeatures(t, readCSV(t, []byte(buf.String()), customersHeader))
		split := len(d.x) * 7 / 10
		beta := fitLogistic(d.x[:split], d.y[:split])
		scores := make([]float64, len(d.x)-split)
		for i, x := range d.x[split:] {
			scores[i] = dot(beta, x)
		}
		got := auc(scores, d.y[split:])
		t.Logf("%s: held-out AUC %.3f", p.Name, got)
		if got <= 0.7 {
			t.Errorf("%s: held-out AUC = %.3f, want > 0.7", p.Name, got)
		}
		// The fitted model must recover the direction of the true effects.
		signs := map[string]float64{"age": 1, "tenure_months": -1, "num_products": -1, "is_active": -1, "mobile": 1}
		for j, name := range d.names {
			if s, ok := signs[name]; ok && s*beta[j] <= 0 {
				t.Errorf("%s: coefficient of %s = %.3f, want sign %+.0f", p.Name, name, beta[j], s)
			}
		}
	}
}

func TestChurnRatesDiffer(t *testing.T) {
	lo, hi := 1.0, 0.0
	for _, p := range Consortium(3, 4000, 5) {
		var buf strings.Builder
		if err := p.WriteCustomers(&buf); err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, []byte(buf.String()), customersHeader)
		churned := 0
		for _, r := range rows {
			if r[13] == "1" {
				churned++
			}
		}
		rate := float64(churned) / float64(len(rows))
		t.Logf("%s churn rate %.1f%%", p.Name, 100*rate)
		if rate < 0.10 || rate > 0.32 {
			t.Errorf("%s churn rate %.1f%%, want 12%% to 30%% give or take", p.Name, 100*rate)
		}
		lo, hi = min(lo, rate), max(hi, rate)
	}
	if hi-lo < 0.05 {
		t.Errorf("churn rates span %.1f points, want at least 5", 100*(hi-lo))
	}
}

func TestNonIIDAge(t *testing.T) {
	var means []float64
	for _, p := range Consortium(3, 3000, 5) {
		var buf strings.Builder
		if err := p.WriteCustomers(&buf); err != nil {
			t.Fatal(err)
		}
		total := 0.0
		rows := readCSV(t, []byte(buf.String()), customersHeader)
		for _, r := range rows {
			a, _ := strconv.Atoi(r[3])
			total += float64(a)
		}
		means = append(means, total/float64(len(rows)))
	}
	t.Logf("mean ages %.1f", means)
	for i := range means {
		for j := i + 1; j < len(means); j++ {
			if math.Abs(means[i]-means[j]) < 3 {
				t.Errorf("mean ages %.1f and %.1f differ by less than 3 years", means[i], means[j])
			}
		}
	}
}

// TestAssociation checks that baskets hold item pairs frequent and
// dependent enough for Apriori to find rules, and that theme popularity
// differs between organisations.
func TestAssociation(t *testing.T) {
	t.Parallel()
	ps := Consortium(3, 1500, 13)
	pairSupport := make([]map[[2]string]float64, len(ps))
	for k, p := range ps {
		var buf strings.Builder
		if err := p.WriteTransactions(&buf); err != nil {
			t.Fatal(err)
		}
		baskets := make(map[string][]string)
		for _, r := range readCSV(t, []byte(buf.String()), transactionsHeader) {
			baskets[r[0]] = append(baskets[r[0]], r[3])
		}
		n := float64(len(baskets))
		single := make(map[string]float64)
		pairs := make(map[[2]string]float64)
		for _, items := range baskets {
			sort.Strings(items)
			for i, a := range items {
				single[a]++
				for _, b := range items[i+1:] {
					pairs[[2]string{a, b}]++
				}
			}
		}
		pairSupport[k] = make(map[[2]string]float64)
		// Find the most frequent theme pair among those with lift > 2.
		var best [2]string
		bestSupport, bestLift := 0.0, 0.0
		for _, th := range Themes() {
			for i, a := range th.Items {
				for _, b := range th.Items[i+1:] {
					key := [2]string{min(a, b), max(a, b)}
					support := pairs[key] / n
					pairSupport[k][key] = support
					lift := support / (single[a] / n * single[b] / n)
					if lift > 2 && support > bestSupport {
						best, bestSupport, bestLift = key, support, lift
					}
				}
			}
		}
		t.Logf("%s: %d invoices, most frequent theme pair %v support %.1f%% lift %.1f",
			p.Name, len(baskets), best, 100*bestSupport, bestLift)
		if bestSupport <= 0.01 {
			t.Errorf("%s: no theme pair with support > 1%% and lift > 2", p.Name)
		}
	}
	// coastal-retail favours game nights, alpine-bank tea time.
	beer := [2]string{"lager beer", "potato crisps"}
	tea := [2]string{"black tea", "digestive biscuits"}
	if !(pairSupport[1][beer] > 2*pairSupport[0][beer] && pairSupport[0][tea] > 2*pairSupport[1][tea]) {
		t.Errorf("theme mix does not differ: beer %.3f/%.3f, tea %.3f/%.3f",
			pairSupport[0][beer], pairSupport[1][beer], pairSupport[0][tea], pairSupport[1][tea])
	}
}

// TestPurchaseProcess checks the two marks of a BG/NBD process:
// customers differ in purchase rate far beyond Poisson noise, and many stop
// buying long before the window ends.
func TestPurchaseProcess(t *testing.T) {
	t.Parallel()
	for _, p := range Consortium(3, 1500, 17) {
		var buf strings.Builder
		if err := p.WriteTransactions(&buf); err != nil {
			t.Fatal(err)
		}
		days := make(map[string]map[string]bool) // customer -> distinct invoice days
		dayOf := make(map[string]time.Time)
		for _, r := range readCSV(t, []byte(buf.String()), transactionsHeader) {
			if days[r[1]] == nil {
				days[r[1]] = make(map[string]bool)
			}
			days[r[1]][r[0]] = true
			ts, err := time.Parse(time.DateTime, r[2])
			if err != nil {
				t.Fatal(err)
			}
			dayOf[r[0]] = ts
		}
		end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var sum, sumSq float64
		silent, regulars := 0, 0
		for _, invoices := range days {
			var times []time.Time
			for inv := range invoices {
				times = append(times, dayOf[inv])
			}
			sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
			repeat := float64(len(times) - 1)
			sum += repeat
			sumSq += repeat * repeat
			if len(times) >= 3 {
				regulars++
				gap := times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1)
				if end.Sub(times[len(times)-1]) > 5*gap {
					silent++
				}
			}
		}
		n := float64(len(days))
		mean := sum / n
		variance := sumSq/n - mean*mean
		share := float64(silent) / float64(regulars)
		t.Logf("%s: repeat purchases mean %.2f variance %.2f; %.0f%% of regulars silent for 5+ gaps",
			p.Name, mean, variance, 100*share)
		if variance <= 2*mean {
			t.Errorf("%s: repeat purchases variance %.2f, mean %.2f: want over-dispersion", p.Name, variance, mean)
		}
		// Without dropout, a silence of five mean gaps has probability e^-5 < 1%.
		if share < 0.1 {
			t.Errorf("%s: %.1f%% of regular customers went silent, want at least 10%%", p.Name, 100*share)
		}
	}
}

func TestCampaignLift(t *testing.T) {
	t.Parallel()
	for _, p := range Consortium(4, 5000, 19) {
		var buf strings.Builder
		if err := p.WriteCampaign(&buf); err != nil {
			t.Fatal(err)
		}
		var clicks, conversions [2]float64
		for _, r := range readCSV(t, []byte(buf.String()), campaignHeader) {
			arm := 0
			if r[2] == "B" {
				arm = 1
			}
			c, _ := strconv.Atoi(r[4])
			v, _ := strconv.Atoi(r[5])
			clicks[arm] += float64(c)
			conversions[arm] += float64(v)
		}
		if clicks[0] < 1000 || clicks[1] < 1000 {
			t.Errorf("%s: clicks %v, too few to compare arms", p.Name, clicks)
			continue
		}
		a, b := conversions[0]/clicks[0], conversions[1]/clicks[1]
		t.Logf("%s: CVR A %.2f%% B %.2f%%, lift %+.0f%% (true %+.0f%%)", p.Name, 100*a, 100*b, 100*(b/a-1), 100*p.Campaigns[0].Lift)
		if b <= a {
			t.Errorf("%s: arm B CVR %.4f not above arm A %.4f", p.Name, b, a)
		}
	}
}
