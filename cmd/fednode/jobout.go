package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fednode/fednode/federation/job"
	"github.com/fednode/fednode/models/stats"
	"github.com/fednode/fednode/node"
)

func specParticipants(text []byte) ([]string, error) {
	s, err := job.ParseTOML(text)
	if err != nil {
		return nil, err
	}
	return s.Participants, nil
}

func printJobResult(e *env, raw json.RawMessage) error {
	var res node.JobResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "job %s (%s on %s) over %s\n", res.Job, res.Kind, res.Dataset, strings.Join(res.Participants, ", "))
	for _, r := range res.Rounds {
		fmt.Fprintf(e.stdout, "  round %d (attempt %d): %d contributions; decrypted by %s\n", r.Round, r.Attempt, len(r.Contributors), strings.Join(r.Quorum, ", "))
	}
	if res.Kind == "stats" {
		var out []stats.Result
		if err := json.Unmarshal(res.Result, &out); err != nil {
			return err
		}
		printStats(e, out)
		return nil
	}
	fmt.Fprintln(e.stdout, string(res.Result))
	return nil
}

func printStats(e *env, out []stats.Result) {
	for _, r := range out {
		what := r.Stat
		if r.Column != "" {
			what += " of " + r.Column
		}
		if r.Stat == stats.Histogram {
			parts := make([]string, len(r.Counts))
			for i, c := range r.Counts {
				parts[i] = fmt.Sprintf("%s %.0f", r.Labels[i], c)
			}
			fmt.Fprintf(e.stdout, "  %s: %s (noise sd %.2g per bin)\n", what, strings.Join(parts, ", "), r.Stddev)
			continue
		}
		fmt.Fprintf(e.stdout, "  %s = %.6g (noise sd %.2g)\n", what, r.Value, r.Stddev)
	}
}
