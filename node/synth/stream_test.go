package synth

import (
	"flag"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var crossArch = flag.Bool("crossarch", false, "compile the package for other architectures and check that no multiply-add is fused")

func TestPortableMath(t *testing.T) {
	t.Parallel()
	s := newStream(1, 0, kindProfile)
	worst := 0
	check := func(name string, x, got, want float64) {
		t.Helper()
		d := ulps(got, want)
		worst = max(worst, d)
		// The ports match pure-Go package math bit for bit (as on 386);
		// assembly versions elsewhere may differ in the last bit or two.
		if d > 2 {
			t.Errorf("%s(%v) = %v, want %v (%d ulps apart)", name, x, got, want, d)
		}
	}
	for range 100000 {
		x := s.uniform(-740, 709)
		check("expP", x, expP(x), math.Exp(x))
		y := expP(s.uniform(-700, 700))
		check("logP", y, logP(y), math.Log(y))
	}
	for _, x := range []float64{0, 1e-300, 1e-9, -1e-9, 1, -1, 0.5, 700} {
		check("expP", x, expP(x), math.Exp(x))
	}
	for _, x := range []float64{1e-300, 1e-9, 0.5, 1, 2, math.E, 1e300} {
		check("logP", x, logP(x), math.Log(x))
	}
	t.Logf("largest difference from package math: %d ulp", worst)
	if !math.IsInf(logP(0), -1) || !math.IsNaN(logP(-1)) || expP(math.Inf(-1)) != 0 || !math.IsInf(expP(800), 1) {
		t.Error("special cases differ from package math")
	}
}

// ulps returns how many representable float64 values lie between a and b,
// which must have the same sign.
func ulps(a, b float64) int {
	x, y := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if x > y {
		return int(x - y)
	}
	return int(y - x)
}

// TestDistributions checks the first two moments of every sampler.
func TestDistributions(t *testing.T) {
	t.Parallel()
	s := newStream(2, 0, kindProfile)
	const n = 100000
	moments := func(draw func() float64) (mean, variance float64) {
		var sum, sumSq float64
		for range n {
			x := draw()
			sum += x
			sumSq += x * x
		}
		mean = sum / n
		return mean, sumSq/n - mean*mean
	}
	tests := []struct {
		name       string
		draw       func() float64
		mean, vari float64
	}{
		{"uniform", s.float64, 0.5, 1.0 / 12},
		{"normal", s.normal, 0, 1},
		{"exponential(2)", func() float64 { return s.exponential(2) }, 0.5, 0.25},
		{"gamma(0.7, 2)", func() float64 { return s.gamma(0.7, 2) }, 0.35, 0.175},
		{"gamma(3, 0.5)", func() float64 { return s.gamma(3, 0.5) }, 6, 12},
		{"beta(0.8, 4)", func() float64 { return s.beta(0.8, 4) }, 0.8 / 4.8, 0.8 * 4 / (4.8 * 4.8 * 5.8)},
		{"poisson(3.5)", func() float64 { return float64(s.poisson(3.5)) }, 3.5, 3.5},
		{"binomial(20, 0.3)", func() float64 { return float64(s.binomial(20, 0.3)) }, 6, 4.2},
		{"intN(10)", func() float64 { return float64(s.intN(10)) }, 4.5, 8.25},
	}
	for _, tt := range tests {
		mean, vari := moments(tt.draw)
		sd := math.Sqrt(tt.vari)
		if math.Abs(mean-tt.mean) > 5*sd/math.Sqrt(n) {
			t.Errorf("%s: mean %.4f, want %.4f", tt.name, mean, tt.mean)
		}
		if math.Abs(vari-tt.vari) > 0.05*tt.vari {
			t.Errorf("%s: variance %.4f, want %.4f", tt.name, vari, tt.vari)
		}
	}
	counts := make([]int, 3)
	tab := newTable([]float64{1, 0, 3})
	for range n {
		counts[s.pick(tab)]++
	}
	if counts[1] != 0 || math.Abs(float64(counts[2])/n-0.75) > 0.01 {
		t.Errorf("pick counts %v, want none at 1 and 75%% at 2", counts)
	}
}

// TestStreamsIndependent checks that streams of different organisations and
// files start differently.
func TestStreamsIndependent(t *testing.T) {
	seen := make(map[uint64]bool)
	for _, seed := range []uint64{0, 1, 2} {
		for index := range 4 {
			for _, kind := range []streamKind{kindProfile, kindCustomers, kindTransactions, kindCampaign} {
				x := newStream(seed, index, kind).src.Uint64()
				if seen[x] {
					t.Fatalf("stream (%d, %d, %d) repeats another stream", seed, index, kind)
				}
				seen[x] = true
			}
		}
	}
}

// TestNoFusedMultiplyAdd guards byte-identical output across platforms: it
// compiles the package for architectures that fuse x*y+z and fails if any
// fused instruction appears (see fpmath.go). It needs the go command and a
// few seconds per architecture, so it runs only with -crossarch.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if !*crossArch {
		t.Skip("run with -crossarch")
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	const pkg = "github.com/fednode/fednode/node/synth"
	fused := regexp.MustCompile(`\b([WV]?FN?M(ADD|SUB)[SD]?B?)\b`) // floating point only
	asmLine := regexp.MustCompile(`\(.*synth/[a-z]+\.go:\d+\)`)
	for _, arch := range []string{"arm64", "ppc64le", "s390x", "riscv64", "loong64"} {
		cmd := exec.Command(gocmd, "build", "-gcflags="+pkg+"=-S", "-o", os.DevNull, pkg)
		cmd.Env = append(os.Environ(), "GOARCH="+arch, "GOOS=linux", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", arch, err, out)
		}
		n := 0
		for _, line := range strings.Split(string(out), "\n") {
			if asmLine.MatchString(line) && fused.MatchString(line) {
				if n++; n <= 5 {
					t.Errorf("%s: fused multiply-add: %s", arch, line)
				}
			}
		}
		if len(out) < 1000 {
			t.Errorf("%s: no assembly listing (%d bytes)", arch, len(out))
		}
	}
}
