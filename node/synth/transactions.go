package synth

import (
	"fmt"
	"io"
	"math"
	"time"
)

// transactionsHeader is the header line of transactions.csv.
const transactionsHeader = "invoice,customer_id,timestamp,item,quantity,unit_price"

// Basket and invoice constants.
const (
	themeItemRate = 0.8     // probability that each item of a basket's theme is in it
	bulkRate      = 0.005   // probability of a bulk quantity (10..100) on a line
	maxUnitCents  = 100000  // unit price cap, 1000.00
	invoiceDigits = 8       // zero-padded width of invoice numbers
	firstHour     = 8       // store opening hour
	invoiceTag    = "-INV-" // separates prefix and number in invoice ids
	maxBasket     = 16      // more items than any basket can hold
	timestampFmt  = time.DateTime
)

// basketGen builds the item lists of invoices.
type basketGen struct {
	s          *stream
	themes     [][]int // catalog indices of each theme's items
	themeTable table
	popularity table
	withTheme  table // number of random extra items in a themed basket
	noTheme    table // number of random items, minus one, in another basket
	themeRate  float64
}

func newBasketGen(p *Profile, s *stream, items []item) *basketGen {
	index := make(map[string]int, len(items))
	pop := make([]float64, len(items))
	for i, it := range items {
		index[it.name] = i
		pop[i] = 1 / float64(i+2)
	}
	themes := Themes()
	g := &basketGen{
		s:          s,
		themes:     make([][]int, len(themes)),
		themeTable: newTable(themeWeights(*p)),
		popularity: newTable(pop),
		withTheme:  newTable([]float64{0.35, 0.35, 0.2, 0.1}),
		noTheme:    newTable([]float64{0.3, 0.3, 0.2, 0.12, 0.08}),
		themeRate:  p.ThemeRate,
	}
	for i, t := range themes {
		for _, name := range t.Items {
			g.themes[i] = append(g.themes[i], index[name])
		}
	}
	return g
}

// fill returns the distinct catalog indices of one basket, reusing dst.
func (g *basketGen) fill(dst []int) []int {
	s := g.s
	dst = dst[:0]
	extra := 0
	if s.bernoulli(g.themeRate) {
		theme := g.themes[s.pick(g.themeTable)]
		for _, it := range theme {
			if s.bernoulli(themeItemRate) {
				dst = append(dst, it)
			}
		}
		// A theme shows only through at least two of its items.
		for _, it := range theme {
			if len(dst) >= 2 {
				break
			}
			dst = addItem(dst, it)
		}
		extra = s.pick(g.withTheme)
	} else {
		extra = 1 + s.pick(g.noTheme)
	}
	for range extra {
		dst = addItem(dst, s.pick(g.popularity))
	}
	return dst
}

// addItem appends it to basket unless it is already there.
func addItem(basket []int, it int) []int {
	for _, x := range basket {
		if x == it {
			return basket
		}
	}
	return append(basket, it)
}

// WriteTransactions writes the organisation's transactions.csv to w: one
// line per invoice line, grouped by customer.
func (p Profile) WriteTransactions(w io.Writer) error {
	_, err := p.writeTransactions(w)
	return err
}

// writeTransactions writes transactions.csv and returns the number of data
// rows.
func (p Profile) writeTransactions(w io.Writer) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	tw := newTxWriter(&p, w)
	customers := newCustomerGen(&p)
	for range p.Customers {
		tw.customer(customers.next())
	}
	n, err := tw.out.close()
	if err != nil {
		return n, fmt.Errorf("synth transactions %s: %w", p.Name, err)
	}
	return n, nil
}

// txWriter writes the invoice lines of one organisation.
type txWriter struct {
	p          *Profile
	s          *stream
	out        *csvWriter
	items      []item
	prices     []int64 // unit price of each item, in cents
	baskets    *basketGen
	hours      table // opening hour of the day, from firstHour
	quantities table // quantity minus one of a regular line
	start      time.Time

	basket    []int  // items of the current invoice
	id, stamp []byte // customer id and timestamp of the current invoice
	invoice   int    // number of the current invoice
}

func newTxWriter(p *Profile, w io.Writer) *txWriter {
	s := newStream(p.Seed, p.Index, kindTransactions)
	items := catalog()
	prices := make([]int64, len(items))
	for i, it := range items {
		prices[i] = min(maxUnitCents, max(1, int64(math.Round(float64(it.cents)*p.PriceLevel))))
	}
	tw := &txWriter{
		p:          p,
		s:          s,
		out:        newCSVWriter(w),
		items:      items,
		prices:     prices,
		baskets:    newBasketGen(p, s, items),
		hours:      newTable([]float64{4, 5, 7, 8, 10, 9, 7, 7, 8, 11, 11, 8, 5}), // 08:00 to 20:59
		quantities: newTable([]float64{0.6, 0.22, 0.1, 0.04, 0.025, 0.015}),
		start:      windowStart(),
		basket:     make([]int, 0, maxBasket),
	}
	tw.out.header(transactionsHeader)
	return tw
}

// customer writes the purchases of c, following the BG/NBD process: an
// arrival within the arrival period, then purchases at rate λ until the
// window ends or the customer drops out after a purchase.
func (tw *txWriter) customer(c customer) {
	s, bg := tw.s, tw.p.Purchases
	if !s.bernoulli(tw.p.ShopperRate) {
		return
	}
	rate := s.gamma(bg.R, bg.Alpha)
	dropout := s.beta(bg.A, bg.B)
	first := max(0, c.signupDay())
	if first >= windowDays {
		return
	}
	span := min(bg.ArrivalDays, float64(windowDays-first))
	tw.id = appendID(tw.id[:0], tw.p.IDPrefix, c.num)
	for t := float64(first) + float64(span*s.float64()); t < windowDays; t += s.exponential(rate) {
		tw.purchase(int(t))
		if s.bernoulli(dropout) {
			return // the customer is gone for good
		}
	}
}

// purchase writes one invoice of the current customer on the given day of
// the window.
func (tw *txWriter) purchase(day int) {
	s := tw.s
	tw.invoice++
	when := tw.start.AddDate(0, 0, day).
		Add(time.Duration(firstHour+s.pick(tw.hours)) * time.Hour).
		Add(time.Duration(s.intN(60)) * time.Minute)
	tw.stamp = when.AppendFormat(tw.stamp[:0], timestampFmt)
	tw.basket = tw.baskets.fill(tw.basket)
	for _, it := range tw.basket {
		q := 1 + s.pick(tw.quantities)
		if s.bernoulli(bulkRate) {
			q = 10 + s.intN(91)
		}
		b := tw.out.line()
		b = append(b, tw.p.IDPrefix...)
		b = append(b, invoiceTag...)
		b = appendPadded(b, tw.invoice, invoiceDigits)
		b = append(b, ',')
		b = append(b, tw.id...)
		b = append(b, ',')
		b = append(b, tw.stamp...)
		b = append(b, ',')
		b = append(b, tw.items[it].name...)
		b = append(b, ',')
		b = appendInt(b, q)
		b = append(b, ',')
		b = appendCents(b, tw.prices[it])
		tw.out.end(b)
	}
}
