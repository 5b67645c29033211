package synth

import (
	"fmt"
	"io"
	"math"
	"time"
)

// customersHeader is the header line of customers.csv.
const customersHeader = "customer_id,full_name,email,age,tenure_months,balance,num_products,has_credit_card,is_active,monthly_spend,region,channel,signup_date,churned"

// asOf returns the date the customer table describes, 2026-01-01 UTC.
func asOf() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// windowStart returns the first day of the transaction window, 2024-01-01 UTC.
func windowStart() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// windowDays is the length of the transaction window, 2024-01-01 to
// 2025-12-31 inclusive.
const windowDays = 731

// Limits shared with the demo customers schema.
const (
	minAge, maxAge  = 18, 100
	maxTenure       = 480    // months
	maxProducts     = 8      // products per customer
	maxBalance      = 500000 // currency units
	maxMonthlySpend = 20000  // currency units
)

// Shape of the customer table.
const (
	missingSpendRate = 0.005 // share of monthly_spend written as NA
	inactiveSpend    = 0.4   // spend of inactive customers relative to active ones
	balanceSigma     = 1.1   // log-scale deviation of non-zero balances
	spendSigma       = 0.7   // log-scale deviation of monthly spend
	idDigits         = 7     // zero-padded width of customer numbers
)

// Channel indices, in the order of Channels.
const (
	channelBranch = iota
	channelOnline
	channelMobile
)

// customer is one generated customer: everything customers.csv holds about
// them, plus what the other files need to stay consistent with it.
type customer struct {
	num         int // 1-based customer number
	first, last string
	domain      string
	emailNum    int   // email suffix number, or -1 for none
	age         int   // years
	tenure      int   // months
	balance     int64 // cents
	products    int
	creditCard  bool
	active      bool
	spend       int64 // cents per month
	spendNA     bool  // spend is written as NA
	region      int   // index into Regions
	channel     int   // index into Channels
	signup      time.Time
	churned     bool
}

// churnLogit is the true churn model: the log-odds that a customer has
// churned, given the intercept b0 of their organisation. See the package
// documentation for the coefficients.
func churnLogit(c customer, b0 float64) float64 {
	eta := b0
	eta += float64(0.05 * float64(c.age-45))
	eta -= float64(0.005 * float64(c.tenure))
	if c.products == 1 {
		eta += 1.0
	}
	eta -= float64(0.3 * float64(c.products-1))
	if c.active {
		eta -= 1.3
	}
	if c.creditCard {
		eta -= 0.25
	}
	switch c.channel {
	case channelMobile:
		eta += 0.4
	case channelOnline:
		eta += 0.1
	}
	return eta
}

// logistic returns 1/(1+e^-x).
func logistic(x float64) float64 { return 1 / (1 + expP(-x)) }

// customerGen generates an organisation's customers one at a time. Every
// writer that needs customers runs its own customerGen, and all of them
// replay the same stream, so the files agree on every customer without
// holding them in memory.
type customerGen struct {
	p        *Profile
	s        *stream
	firsts   []string
	lasts    []string
	domains  []string
	regions  table
	channels [3]table // by age band: under 35, 35 to 60, over 60
	products table
	num      int
}

func newCustomerGen(p *Profile) *customerGen {
	g := &customerGen{
		p:        p,
		s:        newStream(p.Seed, p.Index, kindCustomers),
		firsts:   firstNames(),
		lasts:    lastNames(),
		domains:  emailDomains(),
		regions:  newTable(p.RegionWeights[:]),
		products: newTable([]float64{0.42, 0.33, 0.14, 0.06, 0.025, 0.012, 0.008, 0.005}),
	}
	w := p.ChannelWeights
	g.channels[0] = newTable([]float64{w[0], w[1], 2 * w[2]})
	g.channels[1] = newTable(w[:])
	g.channels[2] = newTable([]float64{2 * w[0], w[1], w[2]})
	return g
}

// next generates the next customer.
func (g *customerGen) next() customer {
	s, p := g.s, g.p
	g.num++
	c := customer{num: g.num, emailNum: -1}

	c.first = g.firsts[s.intN(len(g.firsts))]
	c.last = g.lasts[s.intN(len(g.lasts))]
	c.domain = g.domains[s.intN(len(g.domains))]
	if s.bernoulli(0.6) {
		c.emailNum = s.intN(100)
	}

	c.age = g.age()
	c.tenure = g.tenure(c.age)
	c.products = 1 + s.pick(g.products)
	if c.products < maxProducts && s.bernoulli(min(0.5, float64(c.tenure)/240)) {
		c.products++ // long-standing customers hold more products
	}
	c.creditCard = s.bernoulli(p.CreditCardRate)
	c.active = s.bernoulli(p.ActiveRate)

	if !s.bernoulli(p.ZeroBalanceRate) {
		c.balance = cents(min(maxBalance, s.logNormal(p.BalanceMedian, balanceSigma)))
	}
	median := p.SpendMedian
	if !c.active {
		median = float64(median * inactiveSpend)
	}
	c.spend = cents(min(maxMonthlySpend, s.logNormal(median, spendSigma)))
	c.spendNA = s.bernoulli(missingSpendRate)

	c.region = s.pick(g.regions)
	switch {
	case c.age < 35:
		c.channel = s.pick(g.channels[0])
	case c.age <= 60:
		c.channel = s.pick(g.channels[1])
	default:
		c.channel = s.pick(g.channels[2])
	}
	c.signup = asOf().AddDate(0, -c.tenure, -s.intN(28))
	c.churned = s.bernoulli(logistic(churnLogit(c, p.ChurnIntercept)))
	return c
}

// age draws an age from the profile's normal distribution truncated to
// minAge..maxAge by resampling.
func (g *customerGen) age() int {
	for {
		a := math.Round(g.p.AgeMean + float64(g.p.AgeSD*g.s.normal()))
		if a >= minAge && a <= maxAge {
			return int(a)
		}
	}
}

// tenure draws a tenure in months for a customer of the given age.
func (g *customerGen) tenure(age int) int {
	limit := min(maxTenure, (age-minAge)*12)
	t := g.s.exponential(1 / g.p.TenureMean)
	if t > float64(limit) {
		t = g.s.uniform(0, float64(limit))
	}
	return int(t)
}

// signupDay returns the signup date as a day offset from windowStart;
// negative for customers who signed up before the window.
func (c customer) signupDay() int {
	return int(c.signup.Sub(windowStart()) / (24 * time.Hour))
}

// cents converts a non-negative amount of money to whole cents.
func cents(x float64) int64 { return int64(math.Round(x * 100)) }

// WriteCustomers writes the organisation's customers.csv to w.
func (p Profile) WriteCustomers(w io.Writer) error {
	_, err := p.writeCustomers(w)
	return err
}

// writeCustomers writes customers.csv and returns the number of data rows.
func (p Profile) writeCustomers(w io.Writer) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	out := newCSVWriter(w)
	out.header(customersHeader)
	regions, channels := Regions(), Channels()
	g := newCustomerGen(&p)
	for range p.Customers {
		out.end(appendCustomer(out.line(), p.IDPrefix, g.next(), regions, channels))
	}
	n, err := out.close()
	if err != nil {
		return n, fmt.Errorf("synth customers %s: %w", p.Name, err)
	}
	return n, nil
}

// appendCustomer appends c as a customers.csv row.
func appendCustomer(b []byte, prefix string, c customer, regions, channels []string) []byte {
	b = appendID(b, prefix, c.num)
	b = append(b, ',')
	b = append(b, c.first...)
	b = append(b, ' ')
	b = append(b, c.last...)
	b = append(b, ',')
	b = appendLower(b, c.first)
	b = append(b, '.')
	b = appendLower(b, c.last)
	if c.emailNum >= 0 {
		b = appendInt(b, c.emailNum)
	}
	b = append(b, '@')
	b = append(b, c.domain...)
	b = append(b, ',')
	b = appendInt(b, c.age)
	b = append(b, ',')
	b = appendInt(b, c.tenure)
	b = append(b, ',')
	b = appendCents(b, c.balance)
	b = append(b, ',')
	b = appendInt(b, c.products)
	b = append(b, ',')
	b = appendBool(b, c.creditCard)
	b = append(b, ',')
	b = appendBool(b, c.active)
	b = append(b, ',')
	if c.spendNA {
		b = append(b, "NA"...)
	} else {
		b = appendCents(b, c.spend)
	}
	b = append(b, ',')
	b = append(b, regions[c.region]...)
	b = append(b, ',')
	b = append(b, channels[c.channel]...)
	b = append(b, ',')
	b = c.signup.AppendFormat(b, time.DateOnly)
	b = append(b, ',')
	return appendBool(b, c.churned)
}
