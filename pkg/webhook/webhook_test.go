package webhook_test

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

// The events in testdata are the wire format, byte for byte as the sender writes them.
//
//go:embed testdata/*.json
var testdata embed.FS

func golden(t *testing.T, name string) []byte {
	t.Helper()
	data, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(data, []byte("\n"))
}

// Each golden event decodes to the Event below, and that Event encodes back to the same
// bytes: the types say exactly what the wire says, omitted fields included.
func TestEventWireFormat(t *testing.T) {
	for _, c := range []struct {
		file string
		want webhook.Event
	}{
		{"passed.json", webhook.Event{
			ID: "evt_5f0c2b7d9a4e4c1b8e3a6d2f1c0b9a87", Type: webhook.TypePassed, Created: 1796119200,
			Data: webhook.EventData{
				Session: "3f9a1c6e0b2d4f8a7c5e9b1d3f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a", Status: "passed",
				Reference: "order-1001", CompletedAt: time.Date(2026, 12, 1, 9, 59, 58, 0, time.UTC),
			},
		}},
		{"failed.json", webhook.Event{
			ID: "evt_a1b2c3d4e5f60718293a4b5c6d7e8f90", Type: webhook.TypeFailed, Created: 1796119260,
			Data: webhook.EventData{
				Session: strings.Repeat("c0ffee00", 8), Status: "failed", Category: "liveness", Code: new(int64(1002)),
				Reference: "order-1002", Extra: "cart=42", CompletedAt: time.Date(2026, 12, 1, 10, 0, 55, 0, time.UTC),
			},
		}},
		{"expired.json", webhook.Event{
			ID: "evt_00000000000000000000000000000001", Type: webhook.TypeExpired, Created: 1796122800,
			Data: webhook.EventData{
				Session: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Status: "expired",
				Category: "expired", CompletedAt: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC),
			},
		}},
	} {
		wire := golden(t, c.file)
		got, err := webhook.ParseEvent(wire)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(c.want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("%s decodes to %s\nwant %s", c.file, gotJSON, wantJSON)
		}
		if !bytes.Equal(wantJSON, wire) {
			t.Errorf("%s: the Event encodes to\n%s\nnot\n%s", c.file, wantJSON, wire)
		}
	}
}

// A code of 0 is a code, not an absent one.
func TestEventCodeZeroIsKept(t *testing.T) {
	e := webhook.Event{ID: "evt_x", Type: webhook.TypePassed, Data: webhook.EventData{Code: new(int64(0))}}
	data, _ := json.Marshal(e)
	if !strings.Contains(string(data), `"code":0`) {
		t.Errorf("%s lacks code 0", data)
	}
}

func TestParseEventToleratesNewFields(t *testing.T) {
	wire := golden(t, "failed.json")
	newer := append([]byte(`{"apiVersion":"2027-01","livemode":true,`), wire[1:]...)
	newer = bytes.Replace(newer, []byte(`"data":{`), []byte(`"data":{"attempts":[1,2],`), 1)
	e, err := webhook.ParseEvent(newer)
	if err != nil {
		t.Fatal(err)
	}
	if e.Data.Code == nil || *e.Data.Code != 1002 || e.Data.Extra != "cart=42" {
		t.Errorf("event %+v", e)
	}
	// A type this version does not know still parses: the receiver decides.
	if e, err := webhook.ParseEvent([]byte(`{"id":"evt_1","type":"verification.reviewed","created":1}`)); err != nil || e.Type != "verification.reviewed" {
		t.Errorf("unknown type: %+v, %v", e, err)
	}
}

func TestParseEventRefuses(t *testing.T) {
	wire := golden(t, "passed.json")
	for name, body := range map[string]string{
		"empty":           "",
		"null":            "null",
		"array":           "[]",
		"trailing object": string(wire) + "{}",
		"trailing text":   string(wire) + " x",
		"no id":           `{"type":"verification.passed"}`,
		"no type":         `{"id":"evt_1"}`,
		"wrong types":     `{"id":1,"type":"verification.passed"}`,
		"bad time":        `{"id":"evt_1","type":"verification.passed","data":{"completedAt":"yesterday"}}`,
		"truncated":       string(wire[:len(wire)-1]),
	} {
		if _, err := webhook.ParseEvent([]byte(body)); !errors.Is(err, webhook.ErrBadEvent) {
			t.Errorf("%s: %v, want ErrBadEvent", name, err)
		}
	}
	if _, err := webhook.ParseEvent(append(wire, " \r\n\t"...)); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
}
