package synth

import (
	"fmt"
	"io"
)

// campaignHeader is the header line of campaign.csv.
const campaignHeader = "customer_id,campaign,arm,exposures,clicks,conversions,cost,revenue"

// Campaign limits shared with the demo schema.
const (
	maxExposures   = 100
	maxConversions = 20
	maxRevenue     = 5000 // currency units
	exposureShape  = 2    // gamma shape of a customer's exposure rate
	ctrConcentrate = 40   // beta concentration of a customer's click-through rate
	orderSigma     = 0.5  // log-scale deviation of revenue per conversion
)

// WriteCampaign writes the organisation's campaign.csv to w: one row per
// targeted customer and campaign.
func (p Profile) WriteCampaign(w io.Writer) error {
	_, err := p.writeCampaign(w)
	return err
}

// writeCampaign writes campaign.csv and returns the number of data rows.
func (p Profile) writeCampaign(w io.Writer) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	s := newStream(p.Seed, p.Index, kindCampaign)
	out := newCSVWriter(w)
	out.header(campaignHeader)
	var id []byte
	for num := 1; num <= p.Customers; num++ {
		id = appendID(id[:0], p.IDPrefix, num)
		for _, c := range p.Campaigns {
			if !s.bernoulli(c.Reach) {
				continue
			}
			out.end(appendExposure(out.line(), id, c.Name, exposure(s, c)))
		}
	}
	n, err := out.close()
	if err != nil {
		return n, fmt.Errorf("synth campaign %s: %w", p.Name, err)
	}
	return n, nil
}

// exposureRow is one customer's outcome in one campaign.
type exposureRow struct {
	arm                            byte // 'A' or 'B'
	exposures, clicks, conversions int
	cost, revenue                  int64 // cents
}

// exposure draws a targeted customer's outcome in campaign c: an arm,
// gamma-Poisson exposures, binomial clicks at a customer-specific rate
// around c.CTR, binomial conversions at the arm's rate and log-normal
// revenue per conversion.
func exposure(s *stream, c Campaign) exposureRow {
	r := exposureRow{arm: 'A'}
	cvr := c.CVR
	if s.bernoulli(0.5) {
		r.arm = 'B'
		cvr = float64(cvr * (1 + c.Lift))
	}
	r.exposures = min(maxExposures, s.poisson(s.gamma(exposureShape, exposureShape/c.MeanExposures)))
	ctr := s.beta(float64(ctrConcentrate*c.CTR), float64(ctrConcentrate*(1-c.CTR)))
	r.clicks = s.binomial(r.exposures, ctr)
	r.conversions = min(maxConversions, s.binomial(r.clicks, cvr))
	r.cost = cents(float64(r.exposures) * c.CostPerExposure)
	revenue := 0.0
	for range r.conversions {
		revenue += s.logNormal(c.OrderValue, orderSigma)
	}
	r.revenue = cents(min(maxRevenue, revenue))
	return r
}

// appendExposure appends r as a campaign.csv row.
func appendExposure(b, id []byte, campaign string, r exposureRow) []byte {
	b = append(b, id...)
	b = append(b, ',')
	b = append(b, campaign...)
	b = append(b, ',', r.arm, ',')
	b = appendInt(b, r.exposures)
	b = append(b, ',')
	b = appendInt(b, r.clicks)
	b = append(b, ',')
	b = appendInt(b, r.conversions)
	b = append(b, ',')
	b = appendCents(b, r.cost)
	b = append(b, ',')
	return appendCents(b, r.revenue)
}
