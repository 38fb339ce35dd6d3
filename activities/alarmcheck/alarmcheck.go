// Package alarmcheck asks a stage's alarm endpoints whether they fire. The deploy workflow's
// CheckAlarms activity uses it before every wave, and the API uses it to show an alarm's
// state now; it depends on nothing but net/http so both can.
package alarmcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"sync"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// Timeout bounds one alarm check: an alarm that does not answer in time counts as firing,
// so a slow endpoint holds a wave back by this much at most.
const Timeout = 5 * time.Second

// maxBody is how much of an alarm's answer is read; {"firing": true} is short.
const maxBody = 64 << 10

// Alarm is one endpoint to ask.
type Alarm struct {
	Name string
	URL  string
}

// Status is one alarm's answer.
type Status struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Firing bool   `json:"firing"`
	// Detail says why a firing alarm fires ("answered HTTP 500", "unreachable: ...").
	Detail string `json:"detail,omitempty"`
}

// CheckAll asks every alarm at once and returns their statuses in input order; client nil
// means http.DefaultClient.
func CheckAll(ctx context.Context, client *http.Client, alarms []Alarm) []Status {
	out := make([]Status, len(alarms))
	var wg sync.WaitGroup
	for i, al := range alarms {
		wg.Go(func() {
			firing, detail := Check(ctx, client, al.URL)
			out[i] = Status{Name: al.Name, URL: core.RedactURL(al.URL), Firing: firing, Detail: detail}
		})
	}
	wg.Wait()
	return out
}

// Check reports whether the alarm at url fires and, if so, why. An alarm fires when it
// answers non-2xx, or 2xx with the JSON body {"firing": true}; one that cannot be reached
// counts as firing, since a deploy must not widen blind.
func Check(ctx context.Context, client *http.Client, url string) (bool, string) {
	if client == nil {
		client = http.DefaultClient
	}
	shown := redacted(url)
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return true, fmt.Sprintf("unreachable: %s is not a usable URL", shown)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the whole URL, query and all; keep only its cause.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Sprintf("unreachable: GET %s: %v", shown, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return true, fmt.Sprintf("%s answered HTTP %d", shown, resp.StatusCode)
	}
	if err != nil {
		return true, fmt.Sprintf("unreachable: reading the answer: %v", err)
	}
	var v struct {
		Firing bool `json:"firing"`
	}
	// A 2xx body that is not JSON (a plain "OK") is a healthy answer.
	if json.Unmarshal(body, &v) == nil && v.Firing {
		return true, fmt.Sprintf("%s reports {\"firing\": true}", shown)
	}
	return false, ""
}

// redacted is an alarm URL as deploy reasons, logs and the board may show it: alarm URLs
// often carry API keys in the query or the user part, so those are left out.
func redacted(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "the alarm URL"
	}
	hidden := u.RawQuery != "" || u.User != nil
	u.RawQuery, u.User, u.Fragment, u.RawFragment = "", nil, "", ""
	if hidden {
		return u.String() + " (query and credentials hidden)"
	}
	return u.String()
}
