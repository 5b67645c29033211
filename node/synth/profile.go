package synth

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Regions returns the values of the region column, in the order of
// Profile.RegionWeights.
func Regions() []string { return []string{"north", "south", "east", "west", "capital"} }

// Channels returns the values of the channel column, in the order of
// Profile.ChannelWeights.
func Channels() []string { return []string{"branch", "online", "mobile"} }

// Profile describes one organisation of the consortium: who its customers
// are, how they buy and how its campaigns perform. Profiles differ from one
// organisation to the next so that the consortium's data is not identically
// distributed, as in a real federation. Money is in currency units.
type Profile struct {
	// Name identifies the organisation and doubles as its node name:
	// dash-separated words of lower-case letters and digits, such as
	// "alpine-bank".
	Name string
	// IDPrefix starts every customer and invoice identifier, such as "ALP":
	// one to eight upper-case letters and digits, starting with a letter.
	// Distinct prefixes keep identifiers of different organisations apart.
	IDPrefix string
	// Seed is the consortium seed and Index the organisation's position in
	// the consortium; together they select the random streams.
	Seed  uint64
	Index int
	// Customers is the number of customers, the rows of customers.csv.
	Customers int

	// AgeMean and AgeSD are the mean and standard deviation, in years, of a
	// normal distribution of ages truncated to 18..100.
	AgeMean, AgeSD float64
	// TenureMean is the mean, in months, of the exponential distribution of
	// tenure. A tenure longer than the customer's adult life or 480 months
	// is redrawn uniformly below that limit.
	TenureMean float64
	// RegionWeights are the relative frequencies of Regions, in that order.
	RegionWeights [5]float64
	// ChannelWeights are the relative frequencies of Channels, in that order,
	// for customers aged 35 to 60. Branch weighs twice as much for older
	// customers and mobile twice as much for younger ones.
	ChannelWeights [3]float64
	// ActiveRate and CreditCardRate are the probabilities that is_active and
	// has_credit_card are 1.
	ActiveRate, CreditCardRate float64
	// ZeroBalanceRate is the share of customers with a zero balance. Other
	// balances are log-normal with median BalanceMedian and log-scale
	// deviation 1.1, capped at 500000.
	ZeroBalanceRate, BalanceMedian float64
	// SpendMedian is the median monthly spend of an active customer
	// (log-normal, log-scale deviation 0.7, capped at 20000); inactive
	// customers spend 40% as much.
	SpendMedian float64
	// ChurnIntercept is the intercept β0 of the churn model described in the
	// package documentation. It sets the organisation's base churn rate.
	ChurnIntercept float64

	// Purchases is the purchase process behind transactions.csv.
	Purchases BGNBD
	// ShopperRate is the probability that a customer has any transactions.
	ShopperRate float64
	// ThemeRate is the probability that a basket is built around a theme.
	ThemeRate float64
	// ThemeWeights are the relative frequencies of themes, by Theme name;
	// themes not listed weigh 1.
	ThemeWeights map[string]float64
	// PriceLevel multiplies the catalog prices; 1 is the catalog itself.
	PriceLevel float64

	// Campaigns are the marketing campaigns of campaign.csv.
	Campaigns []Campaign
}

// BGNBD holds the parameters of the beta-geometric/negative-binomial
// purchase process (Fader, Hardie and Lee, 2005). Each customer buys at
// Poisson rate λ ~ Gamma(R, Alpha) per day while alive, and after each
// purchase drops out for good with probability p ~ Beta(A, B). The first
// purchase falls uniformly within ArrivalDays after the later of the window
// start (2024-01-01) and the customer's signup date.
type BGNBD struct {
	R     float64 // gamma shape of the purchase rate
	Alpha float64 // gamma rate of the purchase rate, in days
	A, B  float64 // beta parameters of the dropout probability
	// ArrivalDays is the length of the arrival period, in days.
	ArrivalDays float64
}

// Campaign describes one A/B-tested marketing campaign. Each targeted
// customer is assigned arm A or B with equal probability; arm B's conversion
// rate per click is 1+Lift times arm A's. A row of campaign.csv holds the
// customer's exposures, clicks and conversions, the cost of those exposures
// (exposures × CostPerExposure) and the revenue of those conversions.
type Campaign struct {
	// Name is the campaign column value, such as "spring-2025".
	Name string
	// Reach is the probability that a customer is targeted at all.
	Reach float64
	// MeanExposures is the mean number of exposures of a targeted customer
	// (gamma-Poisson, capped at 100).
	MeanExposures float64
	// CTR is the mean click-through rate per exposure; customers vary
	// around it.
	CTR float64
	// CVR is arm A's conversion rate per click.
	CVR float64
	// Lift is arm B's relative conversion lift: 0.3 means a CVR 30% higher.
	Lift float64
	// CostPerExposure is the media cost of one exposure, at most 1 so that a
	// row's cost stays within 100.
	CostPerExposure float64
	// OrderValue is the median revenue of one conversion (log-normal,
	// log-scale deviation 0.5); a row's revenue is capped at 5000.
	OrderValue float64
}

// Consortium returns the profiles of n organisations. The first three are
// built in: alpine-bank (older, branch-based, low churn), coastal-retail
// (young, mobile-first, high churn) and metro-bank (urban, digital, medium
// churn). Further organisations are deterministic perturbations of these,
// drawn from seed. Organisation sizes vary between 0.7 and 1.3 times
// customersPerOrg, and the built-in three average exactly customersPerOrg;
// every organisation has at least one customer. The built-in profiles do not
// depend on seed; the data generated from every profile does.
func Consortium(n int, customersPerOrg int, seed uint64) []Profile {
	if n <= 0 {
		return nil
	}
	base := builtinProfiles()
	extra := extraOrgNames()
	profiles := make([]Profile, n)
	for i := range profiles {
		var p Profile
		if i < len(base) {
			p = base[i]
		} else {
			j := i - len(base)
			p = perturb(base[i%len(base)], newStream(seed, i, kindProfile))
			p.Name, p.IDPrefix = extra[j%len(extra)][0], extra[j%len(extra)][1]
			if round := j / len(extra); round > 0 {
				p.Name += "-" + strconv.Itoa(round+1)
				p.IDPrefix += strconv.Itoa(round + 1)
			}
		}
		p.Seed, p.Index = seed, i
		p.Customers = max(1, int(math.Round(float64(customersPerOrg)*sizeFactor(p, i))))
		profiles[i] = p
	}
	return profiles
}

// sizeFactor is the organisation's size relative to the consortium mean:
// 1.0, 1.2 and 0.8 for the built-in organisations, and derived from the
// organisation's position for the others.
func sizeFactor(p Profile, i int) float64 {
	switch i {
	case 0:
		return 1.0
	case 1:
		return 1.2
	case 2:
		return 0.8
	}
	// Spread the others over 0.7..1.3 without another random draw.
	return 0.7 + float64(splitmix64(p.Seed^uint64(i))%61)/100
}

// builtinProfiles returns alpine-bank, coastal-retail and metro-bank.
func builtinProfiles() []Profile {
	return []Profile{
		{
			Name: "alpine-bank", IDPrefix: "ALP",
			AgeMean: 54, AgeSD: 14, TenureMean: 110,
			RegionWeights:  [5]float64{0.35, 0.10, 0.25, 0.20, 0.10},
			ChannelWeights: [3]float64{0.50, 0.35, 0.15},
			ActiveRate:     0.55, CreditCardRate: 0.60,
			ZeroBalanceRate: 0.25, BalanceMedian: 28000, SpendMedian: 1100,
			ChurnIntercept: -1.6,
			Purchases:      BGNBD{R: 1.2, Alpha: 70, A: 0.7, B: 5.0, ArrivalDays: 270},
			ShopperRate:    0.88, ThemeRate: 0.65,
			ThemeWeights: map[string]float64{
				"wine-and-cheese": 3, "tea-time": 3, "baking": 2.5, "breakfast": 2,
				"cleaning": 1.5, "baby-care": 0.3, "game-night": 0.4, "taco-night": 0.4,
			},
			PriceLevel: 1.10,
			Campaigns: []Campaign{
				{Name: "spring-2025", Reach: 0.85, MeanExposures: 18, CTR: 0.025, CVR: 0.12, Lift: 0.25, CostPerExposure: 0.40, OrderValue: 95},
				{Name: "winter-2025", Reach: 0.90, MeanExposures: 24, CTR: 0.030, CVR: 0.10, Lift: 0.25, CostPerExposure: 0.35, OrderValue: 120},
			},
		},
		{
			Name: "coastal-retail", IDPrefix: "COA",
			AgeMean: 34, AgeSD: 11, TenureMean: 36,
			RegionWeights:  [5]float64{0.05, 0.40, 0.15, 0.30, 0.10},
			ChannelWeights: [3]float64{0.10, 0.35, 0.55},
			ActiveRate:     0.60, CreditCardRate: 0.45,
			ZeroBalanceRate: 0.35, BalanceMedian: 4500, SpendMedian: 650,
			ChurnIntercept: 0.1,
			Purchases:      BGNBD{R: 0.8, Alpha: 25, A: 1.0, B: 3.0, ArrivalDays: 365},
			ShopperRate:    0.93, ThemeRate: 0.70,
			ThemeWeights: map[string]float64{
				"game-night": 3, "taco-night": 3, "barbecue": 2.5, "coffee-break": 2,
				"baby-care": 1.5, "tea-time": 0.4, "wine-and-cheese": 0.5, "baking": 0.6,
			},
			PriceLevel: 0.90,
			Campaigns: []Campaign{
				{Name: "spring-2025", Reach: 0.80, MeanExposures: 20, CTR: 0.040, CVR: 0.08, Lift: 0.35, CostPerExposure: 0.25, OrderValue: 45},
				{Name: "summer-2025", Reach: 0.75, MeanExposures: 26, CTR: 0.045, CVR: 0.07, Lift: 0.35, CostPerExposure: 0.20, OrderValue: 40},
				{Name: "winter-2025", Reach: 0.85, MeanExposures: 22, CTR: 0.035, CVR: 0.09, Lift: 0.35, CostPerExposure: 0.30, OrderValue: 55},
			},
		},
		{
			Name: "metro-bank", IDPrefix: "MET",
			AgeMean: 42, AgeSD: 12, TenureMean: 60,
			RegionWeights:  [5]float64{0.10, 0.10, 0.15, 0.10, 0.55},
			ChannelWeights: [3]float64{0.20, 0.45, 0.35},
			ActiveRate:     0.50, CreditCardRate: 0.70,
			ZeroBalanceRate: 0.30, BalanceMedian: 12000, SpendMedian: 1400,
			ChurnIntercept: -0.7,
			Purchases:      BGNBD{R: 1.0, Alpha: 30, A: 0.9, B: 4.0, ArrivalDays: 300},
			ShopperRate:    0.85, ThemeRate: 0.60,
			ThemeWeights: map[string]float64{
				"coffee-break": 3, "pasta-night": 2.5, "curry-night": 2.5, "salad": 2,
				"wine-and-cheese": 1.5, "barbecue": 0.4, "baby-care": 0.5,
			},
			PriceLevel: 1.25,
			Campaigns: []Campaign{
				{Name: "autumn-2025", Reach: 0.90, MeanExposures: 30, CTR: 0.020, CVR: 0.15, Lift: 0.20, CostPerExposure: 0.50, OrderValue: 150},
				{Name: "winter-2025", Reach: 0.85, MeanExposures: 25, CTR: 0.025, CVR: 0.14, Lift: 0.20, CostPerExposure: 0.45, OrderValue: 140},
			},
		},
	}
}

// extraOrgNames returns names and identifier prefixes for organisations
// beyond the built-in three.
func extraOrgNames() [][2]string {
	return [][2]string{
		{"harbor-credit-union", "HRB"}, {"summit-grocers", "SUM"}, {"river-bank", "RIV"},
		{"prairie-retail", "PRA"}, {"lakeside-savings", "LAK"}, {"granite-mutual", "GRA"},
		{"meadow-market", "MEA"}, {"canyon-bank", "CAN"}, {"harvest-stores", "HAR"},
		{"northstar-bank", "NOR"}, {"island-outlets", "ISL"}, {"valley-building-society", "VAL"},
	}
}

// perturb returns a copy of p with its parameters moved at random, so that
// every extra organisation has its own population, basket mix and campaign
// lift.
func perturb(p Profile, s *stream) Profile {
	scale := func(lo, hi float64) float64 { return s.uniform(lo, hi) }
	p.AgeMean = min(70, max(25, p.AgeMean+s.uniform(-6, 6)))
	p.AgeSD *= scale(0.85, 1.15)
	p.TenureMean *= scale(0.7, 1.4)
	for i := range p.RegionWeights {
		p.RegionWeights[i] *= scale(0.5, 2)
	}
	for i := range p.ChannelWeights {
		p.ChannelWeights[i] *= scale(0.6, 1.6)
	}
	p.ActiveRate = min(0.9, max(0.2, p.ActiveRate+s.uniform(-0.1, 0.1)))
	p.CreditCardRate = min(0.9, max(0.1, p.CreditCardRate+s.uniform(-0.1, 0.1)))
	p.ZeroBalanceRate = min(0.5, max(0.1, p.ZeroBalanceRate+s.uniform(-0.08, 0.08)))
	p.BalanceMedian *= scale(0.6, 1.6)
	p.SpendMedian *= scale(0.7, 1.4)
	p.ChurnIntercept += s.uniform(-0.3, 0.3)

	p.Purchases.R *= scale(0.75, 1.33)
	p.Purchases.Alpha *= scale(0.75, 1.33)
	p.Purchases.A *= scale(0.75, 1.33)
	p.Purchases.B *= scale(0.75, 1.33)
	p.ShopperRate = min(0.97, max(0.82, p.ShopperRate+s.uniform(-0.05, 0.05)))

	weights := make(map[string]float64, len(Themes()))
	for _, t := range Themes() {
		w, ok := p.ThemeWeights[t.Name]
		if !ok {
			w = 1
		}
		weights[t.Name] = float64(w * expP(float64(0.6*s.normal())))
	}
	p.ThemeWeights = weights
	p.PriceLevel *= scale(0.85, 1.15)

	campaigns := make([]Campaign, len(p.Campaigns))
	lift := s.uniform(0.2, 0.4)
	for i, c := range p.Campaigns {
		c.CTR *= scale(0.8, 1.25)
		c.CVR *= scale(0.8, 1.25)
		c.Lift = lift
		campaigns[i] = c
	}
	p.Campaigns = campaigns
	return p
}

// Validate reports whether every field of p is usable and every value the
// generator derives from it fits the demo schemas.
func (p Profile) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	prob := func(x float64) bool { return x >= 0 && x <= 1 }
	pos := func(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

	check(validName(p.Name), "name %q: want dash-separated lower-case words", p.Name)
	check(validPrefix(p.IDPrefix), "id prefix %q: want 1-8 upper-case letters and digits, starting with a letter", p.IDPrefix)
	check(p.Index >= 0, "index %d: negative", p.Index)
	check(p.Customers >= 1, "customers %d: want at least 1", p.Customers)
	check(p.AgeMean >= 18 && p.AgeMean <= 100, "age mean %v: want 18..100", p.AgeMean)
	check(p.AgeSD > 0 && p.AgeSD <= 40, "age sd %v: want 0 < x <= 40", p.AgeSD)
	check(pos(p.TenureMean), "tenure mean %v: want > 0", p.TenureMean)
	check(validWeights(p.RegionWeights[:]), "region weights %v: want non-negative, not all zero", p.RegionWeights)
	check(validWeights(p.ChannelWeights[:]), "channel weights %v: want non-negative, not all zero", p.ChannelWeights)
	check(prob(p.ActiveRate), "active rate %v: want 0..1", p.ActiveRate)
	check(prob(p.CreditCardRate), "credit card rate %v: want 0..1", p.CreditCardRate)
	check(prob(p.ZeroBalanceRate), "zero balance rate %v: want 0..1", p.ZeroBalanceRate)
	check(pos(p.BalanceMedian), "balance median %v: want > 0", p.BalanceMedian)
	check(pos(p.SpendMedian), "spend median %v: want > 0", p.SpendMedian)
	check(!math.IsNaN(p.ChurnIntercept) && !math.IsInf(p.ChurnIntercept, 0), "churn intercept %v: want finite", p.ChurnIntercept)

	b := p.Purchases
	check(pos(b.R) && pos(b.Alpha) && pos(b.A) && pos(b.B), "purchases %+v: want positive r, alpha, a, b", b)
	check(pos(b.ArrivalDays), "arrival days %v: want > 0", b.ArrivalDays)
	check(prob(p.ShopperRate), "shopper rate %v: want 0..1", p.ShopperRate)
	check(prob(p.ThemeRate), "theme rate %v: want 0..1", p.ThemeRate)
	known := make(map[string]bool)
	for _, t := range Themes() {
		known[t.Name] = true
	}
	for name, w := range p.ThemeWeights {
		check(known[name], "theme %q: unknown", name)
		check(w >= 0 && !math.IsInf(w, 1), "theme %q weight %v: want >= 0", name, w)
	}
	check(validWeights(themeWeights(p)), "theme weights: want not all zero")
	check(pos(p.PriceLevel), "price level %v: want > 0", p.PriceLevel)

	check(len(p.Campaigns) > 0, "campaigns: want at least one")
	seen := make(map[string]bool)
	for _, c := range p.Campaigns {
		check(validName(c.Name), "campaign name %q: want dash-separated lower-case words", c.Name)
		check(!seen[c.Name], "campaign %q: duplicate", c.Name)
		seen[c.Name] = true
		check(prob(c.Reach), "campaign %q reach %v: want 0..1", c.Name, c.Reach)
		check(pos(c.MeanExposures) && c.MeanExposures <= 100, "campaign %q mean exposures %v: want 0 < x <= 100", c.Name, c.MeanExposures)
		check(c.CTR > 0 && c.CTR < 1, "campaign %q ctr %v: want 0 < x < 1", c.Name, c.CTR)
		check(c.Lift > -1, "campaign %q lift %v: want > -1", c.Name, c.Lift)
		check(prob(c.CVR) && prob(c.CVR*(1+c.Lift)), "campaign %q cvr %v with lift %v: want both arms within 0..1", c.Name, c.CVR, c.Lift)
		check(prob(c.CostPerExposure), "campaign %q cost per exposure %v: want 0..1", c.Name, c.CostPerExposure)
		check(pos(c.OrderValue), "campaign %q order value %v: want > 0", c.Name, c.OrderValue)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("synth profile %s: %w", p.Name, err)
	}
	return nil
}

// themeWeights returns the weight of every theme, in the order of Themes.
func themeWeights(p Profile) []float64 {
	themes := Themes()
	w := make([]float64, len(themes))
	for i, t := range themes {
		w[i] = 1
		if x, ok := p.ThemeWeights[t.Name]; ok {
			w[i] = x
		}
	}
	return w
}

func validWeights(w []float64) bool {
	sum := 0.0
	for _, x := range w {
		if !(x >= 0) || math.IsInf(x, 1) {
			return false
		}
		sum += x
	}
	return sum > 0 && !math.IsInf(sum, 1)
}

// validName reports whether s is dash-separated words of [a-z0-9].
func validName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// validPrefix reports whether s is 1-8 of [A-Z0-9], starting with a letter.
func validPrefix(s string) bool {
	if len(s) == 0 || len(s) > 8 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
