package node

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// newMessage returns a fresh value of each control message type.
func newMessages() map[string]func() message {
	return map[string]func() message{
		"abort":   func() message { return new(abortMsg) },
		"signed":  func() message { return new(signedMsg) },
		"setup":   func() message { return new(setupMsg) },
		"shamir":  func() message { return new(shamirMsg) },
		"key":     func() message { return new(keyMsg) },
		"round":   func() message { return new(roundMsg) },
		"contrib": func() message { return new(contribHeader) },
		"decrypt": func() message { return new(decryptMsg) },
		"result":  func() message { return new(resultMsg) },
	}
}

var sampleDigest = strings.Repeat("ab", 32)
var sampleSig = make([]byte, 64)

func sampleMessages() map[string]message {
	hdr := contribHeader{Job: "j-1", Round: 1, Attempt: 1, From: "alpine-bank", Chunks: 3, Digest: sampleDigest, Sig: sampleSig}
	return map[string]message{
		"abort":   &abortMsg{Job: "j-1", Reason: "refused"},
		"signed":  &signedMsg{Spec: []byte(`{"id":"j-1"}`), Sig: sampleSig},
		"setup":   &setupMsg{Job: "j-1"},
		"shamir":  &shamirMsg{Job: "j-1", From: 2, Share: []byte{1, 2, 3}},
		"key":     &keyMsg{Job: "j-1", Shares: [][]byte{{1}, {2}, {3}}},
		"round":   &roundMsg{Job: "j-1", Round: 1, Attempt: 2, State: []byte("{}")},
		"contrib": &hdr,
		"decrypt": &decryptMsg{Job: "j-1", Round: 1, Attempt: 1, Active: []uint64{1, 2}, Headers: []contribHeader{hdr, hdr}},
		"result":  &resultMsg{Job: "j-1", Round: 1, Attempt: 1, Result: json.RawMessage(`[1]`), Peers: []string{"alpine-bank"}},
	}
}

func TestDecodeMessages(t *testing.T) {
	for name, m := range sampleMessages() {
		b, _ := json.Marshal(m)
		got := newMessages()[name]()
		if err := decodeMsg(b, got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%s: round trip %+v ≠ %+v", name, got, m)
		}
		for bad, body := range map[string]string{
			"unknown-field": strings.Replace(string(b), "{", `{"bogus":1,`, 1),
			"trailing":      string(b) + "{}",
			"truncated":     string(b[:len(b)/2]),
		} {
			if err := decodeMsg([]byte(body), newMessages()[name]()); err == nil {
				t.Errorf("%s %s: accepted", name, bad)
			}
		}
	}
	for _, tc := range []struct {
		name, kind string
		m          message
	}{
		{"round-0", "round", &roundMsg{Job: "j", Round: 0, Attempt: 1}},
		{"bad-job", "setup", &setupMsg{Job: "../x"}},
		{"shamir-point-0", "shamir", &shamirMsg{Job: "j", From: 0, Share: []byte{1}}},
		{"decrypt-active", "decrypt", &decryptMsg{Job: "j", Round: 1, Attempt: 1, Active: []uint64{1, 1 << 40}, Headers: []contribHeader{{}}}},
		{"digest", "contrib", &contribHeader{Job: "j", Round: 1, Attempt: 1, From: "a", Chunks: 1, Digest: "zz", Sig: sampleSig}},
		{"result-peer", "result", &resultMsg{Job: "j", Round: 1, Attempt: 1, Result: json.RawMessage(`1`), Peers: []string{"Not A Name"}}},
	} {
		b, _ := json.Marshal(tc.m)
		if err := decodeMsg(b, newMessages()[tc.kind]()); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// FuzzDecodeMessages: no control message decoder panics, and what one
// accepts re-encodes to a message it accepts again, unchanged.
func FuzzDecodeMessages(f *testing.F) {
	for name, m := range sampleMessages() {
		b, _ := json.Marshal(m)
		f.Add(name, b)
	}
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		mk, ok := newMessages()[name]
		if !ok {
			return
		}
		m := mk()
		if decodeMsg(body, m) != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again := mk()
		if err := decodeMsg(b, again); err != nil || !reflect.DeepEqual(m, again) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
