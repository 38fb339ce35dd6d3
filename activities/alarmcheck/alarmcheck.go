// Package alarmcheck asks a stage's alarms whether they fire: HTTP endpoints and
// Prometheus queries. The deploy workflow's alarm activities use it before every wave and
// while hosts are in flight, and the API uses it to show an alarm's state now; it depends
// on nothing but net/http and core so that both can.
package alarmcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// Timeout bounds one alarm check: an alarm that does not answer in time is inconclusive,
// so a slow endpoint holds a wave back by this much at most.
const Timeout = 5 * time.Second

// maxBody is how much of an alarm's answer is read; {"firing": true} is short, and a
// Prometheus vector of a few hundred series fits.
const maxBody = 1 << 20

// maxReason bounds an alarm's own reason text.
const maxReason = 512

// Alarm is one alarm to ask.
type Alarm struct {
	Name string
	// Kind is core.AlarmKindHTTP ("" too) or core.AlarmKindPrometheus.
	Kind      string
	URL       string
	Query     string
	Op        string
	Threshold float64
}

// Prometheus is the server PROMETHEUS alarms query, with its credentials.
type Prometheus struct {
	URL         string
	BearerToken string
	Username    string
	Password    string
}

// Vars fill a query's placeholders.
type Vars struct {
	Env, Stage, Build, Deploy string
}

// Status is one alarm's answer.
type Status struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// URL is an HTTP alarm's URL without its credentials.
	URL string `json:"url,omitempty"`
	// Query is a PROMETHEUS alarm's query as run (placeholders filled).
	Query string `json:"query,omitempty"`
	// Outcome is core.AlarmOK, core.AlarmFiring or core.AlarmInconclusive.
	Outcome string `json:"outcome"`
	// Firing is Outcome == FIRING.
	Firing bool `json:"firing"`
	// Value is what a Prometheus query (or an HTTP alarm's "value") returned.
	Value *float64 `json:"value,omitempty"`
	// Threshold is the comparison, such as "> 1".
	Threshold string `json:"threshold,omitempty"`
	// Detail says why the alarm fires or is inconclusive, with the alarm's own reason
	// when it gives one ("p99 latency 2.3s > 1s").
	Detail string `json:"detail,omitempty"`
}

// CheckAll asks every alarm at once and returns their statuses in input order; client nil
// means http.DefaultClient.
func CheckAll(ctx context.Context, client *http.Client, prom Prometheus, vars Vars, alarms []Alarm) []Status {
	out := make([]Status, len(alarms))
	var wg sync.WaitGroup
	for i, al := range alarms {
		wg.Go(func() { out[i] = CheckOne(ctx, client, prom, vars, al) })
	}
	wg.Wait()
	return out
}

// CheckOne asks one alarm.
func CheckOne(ctx context.Context, client *http.Client, prom Prometheus, vars Vars, al Alarm) Status {
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var st Status
	if al.Kind == core.AlarmKindPrometheus {
		st = checkPrometheus(ctx, client, prom, vars, al)
	} else {
		st = checkHTTP(ctx, client, al.URL)
		st.URL = core.RedactURL(al.URL)
	}
	st.Name = al.Name
	st.Kind = al.Kind
	if st.Kind == "" {
		st.Kind = core.AlarmKindHTTP
	}
	st.Firing = st.Outcome == core.AlarmFiring
	return st
}

// Check reports whether the HTTP alarm at url fires, counting an inconclusive answer as
// firing (the rule deploys recorded before inconclusive existed follow), and why.
func Check(ctx context.Context, client *http.Client, url string) (bool, string) {
	st := CheckOne(ctx, client, Prometheus{}, Vars{}, Alarm{Kind: core.AlarmKindHTTP, URL: url})
	return st.Outcome != core.AlarmOK, st.Detail
}

// checkHTTP GETs an HTTP alarm: non-2xx fires, as does a 2xx JSON body {"firing": true};
// its "reason" (or "message") and "value" are shown. Unreachable is inconclusive.
func checkHTTP(ctx context.Context, client *http.Client, url string) Status {
	shown := core.RedactURL(url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Status{Outcome: core.AlarmInconclusive, Detail: fmt.Sprintf("unreachable: %s is not a usable URL", shown)}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Status{Outcome: core.AlarmInconclusive, Detail: fmt.Sprintf("unreachable: GET %s: %v", shown, causeOf(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	var v struct {
		Firing  bool     `json:"firing"`
		Reason  string   `json:"reason"`
		Message string   `json:"message"`
		Value   *float64 `json:"value"`
	}
	// A 2xx body that is not JSON (a plain "OK") is a healthy answer.
	_ = json.Unmarshal(body, &v)
	reason := v.Reason
	if reason == "" {
		reason = v.Message
	}
	reason = core.CleanText(truncate(reason, maxReason))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Status{Outcome: core.AlarmFiring, Value: v.Value, Detail: withReason(fmt.Sprintf("%s answered HTTP %d", shown, resp.StatusCode), reason)}
	}
	if err != nil {
		return Status{Outcome: core.AlarmInconclusive, Detail: fmt.Sprintf("unreachable: reading the answer: %v", err)}
	}
	if v.Firing {
		return Status{Outcome: core.AlarmFiring, Value: v.Value, Detail: withReason(fmt.Sprintf("%s reports {\"firing\": true}", shown), reason)}
	}
	return Status{Outcome: core.AlarmOK, Value: v.Value, Detail: reason}
}

// promAnswer is the part of Prometheus' /api/v1/query answer an alarm reads.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// checkPrometheus runs the alarm's instant query. Without an Op any series fires; with one,
// the alarm fires when any series' value compares true, and reports that value (or the
// first series' when none fires). A failed query, or an empty answer or NaN where a value
// is compared, is inconclusive.
func checkPrometheus(ctx context.Context, client *http.Client, prom Prometheus, vars Vars, al Alarm) Status {
	query := core.ExpandAlarmQuery(al.Query, vars.Env, vars.Stage, vars.Build, vars.Deploy)
	st := Status{Query: query}
	if al.Op != "" {
		st.Threshold = fmt.Sprintf("%s %g", al.Op, al.Threshold)
	} else {
		st.Threshold = "any series"
	}
	if prom.URL == "" {
		st.Outcome, st.Detail = core.AlarmInconclusive, "no Prometheus server is configured: set alarmPolicy.prometheus.url on the stage or --prometheus-url on the worker"
		return st
	}
	values, err := Query(ctx, client, prom, query)
	if err != nil {
		st.Outcome, st.Detail = core.AlarmInconclusive, err.Error()
		return st
	}
	if al.Op == "" {
		if len(values) == 0 {
			st.Outcome, st.Detail = core.AlarmOK, "the query returns no series"
			return st
		}
		st.Outcome, st.Value = core.AlarmFiring, &values[0]
		st.Detail = fmt.Sprintf("the query returns %d series (fires on any)", len(values))
		return st
	}
	if len(values) == 0 {
		st.Outcome, st.Detail = core.AlarmInconclusive, "the query returns no series, so there is no value to compare"
		return st
	}
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		fires, err := core.CompareAlarm(al.Op, v, al.Threshold)
		if err != nil {
			st.Outcome, st.Detail = core.AlarmInconclusive, err.Error()
			return st
		}
		if fires {
			st.Outcome, st.Value = core.AlarmFiring, &v
			st.Detail = core.PrometheusReason(al.Name, v, al.Op, al.Threshold, true)
			return st
		}
	}
	v := values[0]
	if math.IsNaN(v) {
		st.Outcome, st.Detail = core.AlarmInconclusive, "the query's value is NaN"
		return st
	}
	st.Outcome, st.Value = core.AlarmOK, &v
	st.Detail = core.PrometheusReason(al.Name, v, al.Op, al.Threshold, false)
	return st
}

// Query runs a PromQL instant query and returns every sample's value (a scalar is one).
// Its errors say what Prometheus said, or why it could not be asked, without the server's
// credentials.
func Query(ctx context.Context, client *http.Client, prom Prometheus, query string) ([]float64, error) {
	ans, err := ask(ctx, client, prom, query)
	if err != nil {
		return nil, err
	}
	switch ans.Data.ResultType {
	case "vector":
		var series []struct {
			Value [2]any `json:"value"`
		}
		if err := json.Unmarshal(ans.Data.Result, &series); err != nil {
			return nil, fmt.Errorf("prometheus answered a vector this alarm cannot read: %v", err)
		}
		out := make([]float64, 0, len(series))
		for _, s := range series {
			v, err := sampleValue(s.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "scalar":
		var s [2]any
		if err := json.Unmarshal(ans.Data.Result, &s); err != nil {
			return nil, fmt.Errorf("prometheus answered a scalar this alarm cannot read: %v", err)
		}
		v, err := sampleValue(s)
		if err != nil {
			return nil, err
		}
		return []float64{v}, nil
	}
	return nil, fmt.Errorf("the query returns a %s; use one that returns an instant vector or a scalar", ans.Data.ResultType)
}

// ErrBadQuery marks a query Prometheus refused to parse or run.
var ErrBadQuery = errors.New("prometheus refused the query")

// ask POSTs the query to the server's /api/v1/query.
func ask(ctx context.Context, client *http.Client, prom Prometheus, query string) (*promAnswer, error) {
	if client == nil {
		client = http.DefaultClient
	}
	shown := core.RedactURL(prom.URL)
	endpoint := strings.TrimRight(prom.URL, "/") + "/api/v1/query"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(neturl.Values{"query": {query}}.Encode()))
	if err != nil {
		return nil, fmt.Errorf("prometheus %s is not a usable URL", shown)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	switch {
	case prom.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+prom.BearerToken)
	case prom.Username != "" || prom.Password != "":
		req.SetBasicAuth(prom.Username, prom.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s unreachable: %v", shown, causeOf(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: reading the answer: %v", shown, err)
	}
	var ans promAnswer
	if jerr := json.Unmarshal(body, &ans); jerr != nil || ans.Status == "" {
		return nil, fmt.Errorf("prometheus %s answered HTTP %d without a Prometheus API body", shown, resp.StatusCode)
	}
	if ans.Status != "success" {
		msg := fmt.Errorf("prometheus %s: %s: %s", shown, ans.ErrorType, core.CleanText(truncate(ans.Error, maxReason)))
		if ans.ErrorType == "bad_data" {
			return nil, fmt.Errorf("%w: %w", ErrBadQuery, msg)
		}
		return nil, msg
	}
	return &ans, nil
}

// sampleValue reads a Prometheus sample [time, "value"].
func sampleValue(s [2]any) (float64, error) {
	str, ok := s[1].(string)
	if !ok {
		return 0, fmt.Errorf("prometheus answered a sample without a value")
	}
	var v float64
	switch str {
	case "NaN":
		return math.NaN(), nil
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	}
	if _, err := fmt.Sscanf(str, "%g", &v); err != nil {
		return 0, fmt.Errorf("prometheus answered the value %q, which is not a number", str)
	}
	return v, nil
}

// causeOf is err without the url.Error wrapping, which repeats the whole URL, query and all.
func causeOf(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func withReason(detail, reason string) string {
	if reason == "" {
		return detail
	}
	return detail + ": " + reason
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
