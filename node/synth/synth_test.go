package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "print golden values instead of checking them")

// orgData holds one organisation's generated files.
type orgData struct {
	customers, transactions, campaign []byte
}

func generate(t testing.TB, p Profile) orgData {
	t.Helper()
	var c, tx, k bytes.Buffer
	if err := p.WriteCustomers(&c); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteTransactions(&tx); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteCampaign(&k); err != nil {
		t.Fatal(err)
	}
	return orgData{c.Bytes(), tx.Bytes(), k.Bytes()}
}

// readCSV parses data and checks its header and that every row has as many
// fields as the header. It returns the data rows.
func readCSV(t testing.TB, data []byte, header string) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	rows, err := r.ReadAll() // also fails on rows with a wrong field count
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != header {
		t.Fatalf("header = %q, want %q", rows[0], header)
	}
	return rows[1:]
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := Consortium(4, 300, 7)
	b := Consortium(4, 300, 7)
	for i := range a {
		x, y := generate(t, a[i]), generate(t, b[i])
		if !bytes.Equal(x.customers, y.customers) || !bytes.Equal(x.transactions, y.transactions) ||
			!bytes.Equal(x.campaign, y.campaign) {
			t.Errorf("%s: two runs differ", a[i].Name)
		}
	}
	other := generate(t, Consortium(1, 300, 8)[0])
	if bytes.Equal(generate(t, a[0]).customers, other.customers) {
		t.Error("seeds 7 and 8 give the same customers")
	}
}

// TestGolden pins the exact output of one small organisation, so that any
// change to the generator is noticed. Update the sums only when the
// generator changes on purpose: go test ./node/synth -run Golden -update
func TestGolden(t *testing.T) {
	d := generate(t, Consortium(3, 200, 1)[0])
	got := map[string]string{
		"customers":    sum(d.customers),
		"transactions": sum(d.transactions),
		"campaign":     sum(d.campaign),
	}
	want := map[string]string{
		"customers":    "9ccd9e99bff27232b3fdccafb843c592fe239fbb30156e58f47e94c9f245778e",
		"transactions": "d303d424bb6c79bff87a5cdf535c95cf14d60586fabf010fd5a87687fd35f10e",
		"campaign":     "6d47cfee8980b1178f19b4e3bc720cc4f09c874bd6df3d85438c821ee4958838",
	}
	for _, k := range []string{"customers", "transactions", "campaign"} {
		if *update {
			t.Logf("%q: %q,", k, got[k])
			continue
		}
		if got[k] != want[k] {
			t.Errorf("%s sha256 = %s, want %s", k, got[k], want[k])
		}
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestSchemaBounds checks every value against the limits of the demo
// schemas, kept here by hand so that the test does not depend on the schema
// package.
func TestSchemaBounds(t *testing.T) {
	t.Parallel()
	for _, p := range Consortium(4, 800, 3) {
		d := generate(t, p)
		checkCustomers(t, p, readCSV(t, d.customers, customersHeader))
		checkTransactions(t, p, readCSV(t, d.transactions, transactionsHeader))
		checkCampaign(t, p, readCSV(t, d.campaign, campaignHeader))
	}
}

// field checks one value and reports the first few failures.
type field struct {
	t    testing.TB
	name string
	errs int
}

func (f *field) fail(row int, col, val, why string) {
	f.t.Helper()
	if f.errs++; f.errs <= 5 {
		f.t.Errorf("%s row %d %s=%q: %s", f.name, row+2, col, val, why)
	}
}

func (f *field) number(row int, col, val string, lo, hi float64, decimals int) float64 {
	f.t.Helper()
	x, err := strconv.ParseFloat(val, 64)
	switch {
	case err != nil:
		f.fail(row, col, val, "not a number")
	case x < lo || x > hi:
		f.fail(row, col, val, "out of range")
	case decimals == 0 && strings.Contains(val, "."):
		f.fail(row, col, val, "not an integer")
	case decimals > 0 && (len(val) < 4 || val[len(val)-3] != '.'):
		f.fail(row, col, val, "want two decimals")
	}
	return x
}

func (f *field) oneOf(row int, col, val string, values ...string) {
	f.t.Helper()
	for _, v := range values {
		if val == v {
			return
		}
	}
	f.fail(row, col, val, "not one of "+strings.Join(values, ","))
}

func (f *field) id(row int, col, val, prefix string) {
	f.t.Helper()
	rest, ok := strings.CutPrefix(val, prefix+"-")
	if _, err := strconv.Atoi(rest); !ok || err != nil || len(rest) < idDigits {
		f.fail(row, col, val, "want "+prefix+"- and a zero-padded number")
	}
}

func checkCustomers(t *testing.T, p Profile, rows [][]string) {
	t.Helper()
	if len(rows) != p.Customers {
		t.Errorf("%s: %d customers, want %d", p.Name, len(rows), p.Customers)
	}
	f := &field{t: t, name: p.Name + " customers"}
	ids := make(map[string]bool)
	for i, r := range rows {
		f.id(i, "customer_id", r[0], p.IDPrefix)
		if ids[r[0]] {
			f.fail(i, "customer_id", r[0], "duplicate")
		}
		ids[r[0]] = true
		if len(strings.Fields(r[1])) != 2 {
			f.fail(i, "full_name", r[1], "want first and last name")
		}
		if at := strings.Index(r[2], "@example."); at <= 0 {
			f.fail(i, "email", r[2], "want a reserved example domain")
		}
		age := f.number(i, "age", r[3], 18, 100, 0)
		tenure := f.number(i, "tenure_months", r[4], 0, 480, 0)
		f.number(i, "balance", r[5], 0, 500000, 2)
		f.number(i, "num_products", r[6], 1, 8, 0)
		f.oneOf(i, "has_credit_card", r[7], "0", "1")
		f.oneOf(i, "is_active", r[8], "0", "1")
		if r[9] != "NA" {
			f.number(i, "monthly_spend", r[9], 0, 20000, 2)
		}
		f.oneOf(i, "region", r[10], "north", "south", "east", "west", "capital")
		f.oneOf(i, "channel", r[11], "branch", "online", "mobile")
		signup, err := time.Parse("2006-01-02", r[12])
		if err != nil {
			f.fail(i, "signup_date", r[12], err.Error())
		} else if m := monthsBetween(signup, asOf()); float64(m) != tenure {
			f.fail(i, "signup_date", r[12], "whole months to 2026-01-01 = "+strconv.Itoa(m)+", want tenure "+r[4])
		}
		if tenure > (age-18)*12 {
			f.fail(i, "tenure_months", r[4], "longer than the customer's adult life")
		}
		f.oneOf(i, "churned", r[13], "0", "1")
	}
}

// monthsBetween returns the number of whole months from a to b.
func monthsBetween(a, b time.Time) int {
	m := (b.Year()-a.Year())*12 + int(b.Month()-a.Month())
	if b.Day() < a.Day() {
		m--
	}
	return m
}

func checkTransactions(t *testing.T, p Profile, rows [][]string) {
	t.Helper()
	f := &field{t: t, name: p.Name + " transactions"}
	first := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)
	type invoice struct{ customer, timestamp string }
	invoices := make(map[string]invoice)
	lines := make(map[[2]string]bool)
	prices := make(map[string]string)
	for i, r := range rows {
		if !strings.HasPrefix(r[0], p.IDPrefix+invoiceTag) {
			f.fail(i, "invoice", r[0], "want the organisation's prefix")
		}
		f.id(i, "customer_id", r[1], p.IDPrefix)
		ts, err := time.Parse("2006-01-02 15:04:05", r[2])
		switch {
		case err != nil:
			f.fail(i, "timestamp", r[2], err.Error())
		case ts.Before(first) || ts.After(last):
			f.fail(i, "timestamp", r[2], "outside 2024-2025")
		case ts.Hour() < 8 || ts.Hour() > 20 || ts.Second() != 0:
			f.fail(i, "timestamp", r[2], "outside store hours")
		}
		if r[3] == "" {
			f.fail(i, "item", r[3], "empty")
		}
		f.number(i, "quantity", r[4], 1, 100, 0)
		f.number(i, "unit_price", r[5], 0.01, 1000, 2)

		inv := invoice{r[1], r[2]}
		if prev, ok := invoices[r[0]]; ok && prev != inv {
			f.fail(i, "invoice", r[0], "spans customers or timestamps")
		}
		invoices[r[0]] = inv
		if key := [2]string{r[0], r[3]}; lines[key] {
			f.fail(i, "item", r[3], "twice in one invoice")
		} else {
			lines[key] = true
		}
		if prev, ok := prices[r[3]]; ok && prev != r[5] {
			f.fail(i, "unit_price", r[5], "price of "+r[3]+" was "+prev)
		}
		prices[r[3]] = r[5]
	}
}

func checkCampaign(t *testing.T, p Profile, rows [][]string) {
	t.Helper()
	f := &field{t: t, name: p.Name + " campaign"}
	var names []string
	for _, c := range p.Campaigns {
		names = append(names, c.Name)
	}
	seen := make(map[[2]string]bool)
	for i, r := range rows {
		f.id(i, "customer_id", r[0], p.IDPrefix)
		f.oneOf(i, "campaign", r[1], names...)
		if key := [2]string{r[0], r[1]}; seen[key] {
			f.fail(i, "campaign", r[1], "customer listed twice")
		} else {
			seen[key] = true
		}
		f.oneOf(i, "arm", r[2], "A", "B")
		exposures := f.number(i, "exposures", r[3], 0, 100, 0)
		clicks := f.number(i, "clicks", r[4], 0, 100, 0)
		conversions := f.number(i, "conversions", r[5], 0, 20, 0)
		f.number(i, "cost", r[6], 0, 100, 2)
		revenue := f.number(i, "revenue", r[7], 0, 5000, 2)
		if clicks > exposures || conversions > clicks {
			f.fail(i, "clicks", r[4], "want conversions <= clicks <= exposures")
		}
		if (conversions == 0) != (revenue == 0) {
			f.fail(i, "revenue", r[7], "want revenue exactly when there are conversions")
		}
	}
}

func TestTransactionsReferToCustomers(t *testing.T) {
	p := Consortium(2, 800, 5)[1]
	d := generate(t, p)
	ids := make(map[string]bool)
	for _, r := range readCSV(t, d.customers, customersHeader) {
		ids[r[0]] = true
	}
	shoppers := make(map[string]bool)
	for _, r := range readCSV(t, d.transactions, transactionsHeader) {
		if !ids[r[1]] {
			t.Fatalf("transaction of unknown customer %s", r[1])
		}
		shoppers[r[1]] = true
	}
	for _, r := range readCSV(t, d.campaign, campaignHeader) {
		if !ids[r[0]] {
			t.Fatalf("campaign row of unknown customer %s", r[0])
		}
	}
	if share := float64(len(shoppers)) / float64(len(ids)); share < 0.8 || share >= 1 {
		t.Errorf("%.1f%% of customers have transactions, want 80%% to 99%%", 100*share)
	}
}

func TestMissingSpend(t *testing.T) {
	t.Parallel()
	p := Consortium(1, 10000, 9)[0]
	var buf bytes.Buffer
	if err := p.WriteCustomers(&buf); err != nil {
		t.Fatal(err)
	}
	na := 0
	rows := readCSV(t, buf.Bytes(), customersHeader)
	for _, r := range rows {
		if r[9] == "NA" {
			na++
		}
	}
	if share := float64(na) / float64(len(rows)); share < 0.002 || share > 0.01 {
		t.Errorf("%.2f%% of monthly_spend is NA, want about 0.5%%", 100*share)
	}
}

func TestConsortium(t *testing.T) {
	if got := Consortium(0, 100, 1); got != nil {
		t.Errorf("Consortium(0) = %v, want nil", got)
	}
	ps := Consortium(30, 1000, 11)
	names, prefixes := make(map[string]bool), make(map[string]bool)
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			t.Errorf("profile %d: %v", i, err)
		}
		if names[p.Name] || prefixes[p.IDPrefix] {
			t.Errorf("profile %d: name %s or prefix %s reused", i, p.Name, p.IDPrefix)
		}
		names[p.Name], prefixes[p.IDPrefix] = true, true
		if p.Index != i || p.Seed != 11 {
			t.Errorf("profile %d: index %d seed %d", i, p.Index, p.Seed)
		}
		if p.Customers < 700 || p.Customers > 1300 {
			t.Errorf("%s: %d customers, want 700..1300", p.Name, p.Customers)
		}
	}
	want := []string{"alpine-bank", "coastal-retail", "metro-bank"}
	for i, name := range want {
		if ps[i].Name != name {
			t.Errorf("profile %d = %s, want %s", i, ps[i].Name, name)
		}
	}
	if a, b := Consortium(4, 1000, 1)[3], Consortium(4, 1000, 2)[3]; a.AgeMean == b.AgeMean {
		t.Error("extra profile does not depend on the seed")
	}
	if a, b := Consortium(4, 1000, 1)[3], Consortium(4, 1000, 1)[3]; a.AgeMean != b.AgeMean || a.Customers != b.Customers {
		t.Error("extra profile is not deterministic")
	}
	if got := Consortium(1, 0, 1)[0].Customers; got != 1 {
		t.Errorf("customers with customersPerOrg 0 = %d, want 1", got)
	}
}

func TestValidate(t *testing.T) {
	good := Consortium(1, 10, 1)[0]
	tests := []struct {
		name   string
		change func(*Profile)
	}{
		{"upper-case name", func(p *Profile) { p.Name = "Alpine" }},
		{"comma in name", func(p *Profile) { p.Name = "a,b" }},
		{"double dash", func(p *Profile) { p.Name = "a--b" }},
		{"lower-case prefix", func(p *Profile) { p.IDPrefix = "alp" }},
		{"long prefix", func(p *Profile) { p.IDPrefix = "ABCDEFGHI" }},
		{"no customers", func(p *Profile) { p.Customers = 0 }},
		{"young mean age", func(p *Profile) { p.AgeMean = 10 }},
		{"no regions", func(p *Profile) { p.RegionWeights = [5]float64{} }},
		{"negative channel", func(p *Profile) { p.ChannelWeights[0] = -1 }},
		{"probability above one", func(p *Profile) { p.ActiveRate = 1.5 }},
		{"nan intercept", func(p *Profile) { p.ChurnIntercept = math.NaN() }},
		{"zero gamma shape", func(p *Profile) { p.Purchases.R = 0 }},
		{"unknown theme", func(p *Profile) { p.ThemeWeights = map[string]float64{"sushi": 1} }},
		{"no campaigns", func(p *Profile) { p.Campaigns = nil }},
		{"cvr above one with lift", func(p *Profile) {
			p.Campaigns = []Campaign{{Name: "x", Reach: 1, MeanExposures: 1, CTR: 0.1, CVR: 0.9, Lift: 0.2, OrderValue: 1}}
		}},
		{"costly exposure", func(p *Profile) {
			p.Campaigns = []Campaign{{Name: "x", Reach: 1, MeanExposures: 1, CTR: 0.1, CVR: 0.1, CostPerExposure: 2, OrderValue: 1}}
		}},
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		p := good
		p.Campaigns = append([]Campaign(nil), good.Campaigns...)
		tt.change(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", tt.name)
		}
		if _, err := WriteOrg(t.TempDir(), p); err == nil {
			t.Errorf("%s: WriteOrg accepted it", tt.name)
		}
	}
}

func TestCatalog(t *testing.T) {
	items := catalog()
	if len(items) < 60 || len(items) > 120 {
		t.Errorf("catalog has %d items, want 60..120", len(items))
	}
	names := make(map[string]bool)
	for _, it := range items {
		if names[it.name] || it.name == "" || strings.ContainsAny(it.name, ",\"\r\n") {
			t.Errorf("item %q: duplicate, empty or needs quoting", it.name)
		}
		names[it.name] = true
		if it.cents < 1 || it.cents*2 > maxUnitCents {
			t.Errorf("item %q: base price %d cents leaves no room for price levels", it.name, it.cents)
		}
	}
	for _, th := range Themes() {
		if len(th.Items) < 2 || !validName(th.Name) {
			t.Errorf("theme %q: want a valid name and at least two items", th.Name)
		}
		for _, it := range th.Items {
			if !names[it] {
				t.Errorf("theme %s: item %q not in the catalog", th.Name, it)
			}
		}
	}
	for _, list := range [][]string{firstNames(), lastNames(), emailDomains()} {
		for _, s := range list {
			if strings.ContainsAny(s, ",\"\r\n @") {
				t.Errorf("name %q needs quoting", s)
			}
		}
	}
}

func TestWriteOrg(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alpine")
	p := Consortium(1, 250, 4)[0]
	files, err := WriteOrg(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	want := generate(t, p)
	for _, c := range []struct {
		path string
		rows int
		data []byte
	}{
		{files.Customers, files.CustomerRows, want.customers},
		{files.Transactions, files.TransactionRows, want.transactions},
		{files.Campaign, files.CampaignRows, want.campaign},
	} {
		got, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, c.data) {
			t.Errorf("%s differs from the Write method's output", c.path)
		}
		if lines := bytes.Count(got, []byte("\n")) - 1; lines != c.rows || c.rows == 0 {
			t.Errorf("%s: %d rows reported, %d written", c.path, c.rows, lines)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("dir holds %d entries, want the 3 files only", len(entries))
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(b []byte) (int, error) {
	if len(b) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(b)
	return len(b), nil
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	p := Consortium(1, 3000, 1)[0]
	for name, write := range map[string]func(w *failWriter) error{
		"customers":    func(w *failWriter) error { return p.WriteCustomers(w) },
		"transactions": func(w *failWriter) error { return p.WriteTransactions(w) },
		"campaign":     func(w *failWriter) error { return p.WriteCampaign(w) },
	} {
		err := write(&failWriter{n: 100 << 10})
		if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "synth "+name+" alpine-bank") {
			t.Errorf("%s: error %v, want wrapped disk full", name, err)
		}
	}
}

// TestStreaming checks that writing allocates the same whatever the number
// of customers: rows are streamed, never collected.
func TestStreaming(t *testing.T) {
	small, large := Consortium(1, 200, 1)[0], Consortium(1, 4000, 1)[0]
	for name, write := range map[string]func(p Profile) error{
		"customers":    func(p Profile) error { return p.WriteCustomers(io.Discard) },
		"transactions": func(p Profile) error { return p.WriteTransactions(io.Discard) },
		"campaign":     func(p Profile) error { return p.WriteCampaign(io.Discard) },
	} {
		a := testing.AllocsPerRun(2, func() { _ = write(small) })
		b := testing.AllocsPerRun(2, func() { _ = write(large) })
		t.Logf("%s: %.0f allocations for 200 customers, %.0f for 4000", name, a, b)
		if b > a+10 {
			t.Errorf("%s: %.0f allocations for 200 customers, %.0f for 4000: memory grows with rows", name, a, b)
		}
	}
}
