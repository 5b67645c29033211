package stats

import (
	"errors"
	"math"
	"testing"
)

func cols(name string) (Column, bool) {
	lo, hi := 18.0, 100.0
	switch name {
	case "age":
		return Column{Numeric: true, Min: &lo, Max: &hi}, true
	case "region":
		return Column{Categories: []string{"north", "south", "east"}}, true
	case "spend":
		return Column{Numeric: true}, true
	}
	return Column{}, false
}

func f(x float64) *float64 { return &x }

func TestPlanAccumulateDecode(t *testing.T) {
	p, err := ParseParams([]byte(`{"stats":[{"stat":"count"},{"stat":"mean","column":"age"},{"stat":"histogram","column":"region"},{"stat":"sum","column":"spend","lo":0,"hi":50},{"stat":"histogram","column":"age","edges":[30,60]}],"bits":2}`))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := NewPlan(p, cols, true)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Len != 1+2+3+1+3 || len(pl.Blocks) != 6 {
		t.Fatalf("plan of %d values in %d blocks", pl.Len, len(pl.Blocks))
	}
	// Customers: (age, region, spend)
	customers := [][3]float64{{25, 0, 10}, {40, 1, 80}, {70, 2, 5}, {150, 0, -3}}
	v := make([]int64, pl.Len)
	for _, c := range customers {
		rows := make([][]float64, len(pl.Columns))
		for i, name := range pl.Columns {
			rows[i] = []float64{map[string]float64{"age": c[0], "region": c[1], "spend": c[2]}[name]}
		}
		pl.Accumulate(v, rows)
	}
	sig := make([]float64, len(pl.Blocks))
	res, err := pl.Decode(v, sig)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("%d results", len(res))
	}
	if res[0].Value != 4 {
		t.Errorf("count %v", res[0].Value)
	}
	// age clamped to [18, 100]: 25 + 40 + 70 + 100 = 235; mean 58.75
	if res[1].Stat != Mean || math.Abs(res[1].Value-58.75) > 1e-9 {
		t.Errorf("mean %+v", res[1])
	}
	if got := res[2].Counts; len(got) != 3 || got[0] != 2 || got[1] != 1 || got[2] != 1 || res[2].Labels[2] != "east" {
		t.Errorf("region histogram %+v", res[2])
	}
	// spend clamped to [0, 50]: 10 + 50 + 5 + 0
	if res[3].Value != 65 {
		t.Errorf("sum %v", res[3].Value)
	}
	// age edges 30, 60: 25 → <30; 40 → [30,60); 70, 150 → >=60
	if got := res[4].Counts; got[0] != 1 || got[1] != 1 || got[2] != 2 || res[4].Labels[1] != "[30, 60)" {
		t.Errorf("age histogram %+v", res[4])
	}
	l2, _, dim := pl.Sensitivities()
	if l2[2] != 400 || dim[3] != 3 { // mean's sum: 100 at 2 bits
		t.Errorf("sensitivities %v %v", l2, dim)
	}
}

func TestPlanRejects(t *testing.T) {
	for name, params := range map[string]string{
		"no-stats":       `{"stats":[]}`,
		"unknown-stat":   `{"stats":[{"stat":"median","column":"age"}]}`,
		"no-column":      `{"stats":[{"stat":"sum","column":"nope"}]}`,
		"count+column":   `{"stats":[{"stat":"count","column":"age"}]}`,
		"no-bounds":      `{"stats":[{"stat":"sum","column":"spend"}]}`,
		"cat-sum":        `{"stats":[{"stat":"sum","column":"region"}]}`,
		"hist-noedges":   `{"stats":[{"stat":"histogram","column":"age"}]}`,
		"hist-badedges":  `{"stats":[{"stat":"histogram","column":"age","edges":[5,5]}]}`,
		"cat-with-edges": `{"stats":[{"stat":"histogram","column":"region","edges":[1]}]}`,
		"bits":           `{"stats":[{"stat":"count"}],"bits":40}`,
		"not-json":       `{`,
	} {
		p, err := ParseParams([]byte(params))
		if err == nil {
			_, err = NewPlan(p, cols, true)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	p, _ := ParseParams([]byte(`{"stats":[{"stat":"histogram","column":"region"}]}`))
	if _, err := NewPlan(p, cols, false); !errors.Is(err, ErrInvalid) {
		t.Error("histogram on a transactions dataset accepted")
	}
}
