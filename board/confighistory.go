package board

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Bounds of the config history page: the store answers at most 500 entries at a time.
const (
	configHistoryDefault = 100
	configHistoryMax     = 500
)

// configHistoryQuery is what the history page's URL asks for: how many entries, and which two to
// compare (0 when not chosen).
type configHistoryQuery struct {
	Limit int
	A, B  int64
}

// parseConfigHistoryQuery reads ?limit=, ?a= and ?b=. A value that does not parse falls back to
// the default with a note saying so, rather than failing a page someone needs mid-incident.
func parseConfigHistoryQuery(limit, a, b string) (configHistoryQuery, []string) {
	q := configHistoryQuery{Limit: configHistoryDefault}
	var notes []string
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > configHistoryMax {
			notes = append(notes, fmt.Sprintf("limit %q is not a number from 1 to %d; showing the newest %d entries.", limit, configHistoryMax, configHistoryDefault))
		} else {
			q.Limit = n
		}
	}
	id := func(name, v string) int64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			notes = append(notes, fmt.Sprintf("%s=%q is not an entry number; pick entries with the A and B buttons.", name, v))
			return 0
		}
		return n
	}
	q.A, q.B = id("a", a), id("b", b)
	return q, notes
}

// configHistoryEntry is one row of the history: the change and its field-level diff.
type configHistoryEntry struct {
	Change schema.ConfigChange
	// Kind is the entry type as people say it ("config", "capacity").
	Kind string
	Age  string
	Diff []jsonChange
	// DiffError says the snapshots could not be read; the raw entry still shows who and when.
	DiffError string
	// PickA and PickB pre-select the entry in the compare pickers.
	PickA, PickB bool
}

// configComparison is the side-by-side view of two entries' "after" snapshots.
type configComparison struct {
	A, B configHistoryEntry
	Rows []compareRow
	Diff []jsonChange
	// Mixed says the entries record different things (config and capacity).
	Mixed bool
}

// configHistoryPage is what confighistory.html draws.
type configHistoryPage struct {
	Stage    *schema.Stage
	Entries  []configHistoryEntry
	Limit    int
	Compare  *configComparison
	Notes    []string
	Error    string
	MoreHint bool
}

// configHistoryKinds names the entry types for people; the code stays visible beside it.
var configHistoryKinds = map[string]string{
	schema.HistoryStageCreated: "stage created",
	schema.HistoryStageConfig:  "config",
	schema.HistoryCapacity:     "capacity",
}

// configHistoryKind is the readable name of a history entry type.
func configHistoryKind(t string) string {
	if k, ok := configHistoryKinds[t]; ok {
		return k
	}
	return t
}

// configComparePicks chooses the entries the compare pickers start on: the ones asked for,
// else the newest (B) against the one before it of the same kind (A), since a capacity
// snapshot and a config snapshot share no fields. Changes come newest first.
func configComparePicks(q configHistoryQuery, changes []schema.ConfigChange) (a, b int64) {
	a, b = q.A, q.B
	if b == 0 && len(changes) > 0 {
		b = changes[0].ID
	}
	if a != 0 || len(changes) < 2 {
		return a, b
	}
	isCapacity := func(ch schema.ConfigChange) bool { return ch.ChangeType == schema.HistoryCapacity }
	newest := changes[0]
	for _, ch := range changes {
		if ch.ID == b {
			newest = ch
		}
	}
	for _, ch := range changes {
		if ch.ID < newest.ID && isCapacity(ch) == isCapacity(newest) {
			return ch.ID, b
		}
	}
	return changes[1].ID, b
}

// configHistory renders a stage's config history newest first, each entry with its diff,
// and compares two entries side by side when ?a= and ?b= name them.
func (b *Board) configHistory(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	q, notes := parseConfigHistoryQuery(c.Query("limit"), c.Query("a"), c.Query("b"))
	page := configHistoryPage{Stage: st, Limit: q.Limit, Notes: notes}
	changes, err := b.Store.ListConfigHistory(ctx, env, name, q.Limit)
	if err != nil {
		b.Logger.Error("board: list config history", "env", env, "stage", name, "error", err)
		page.Error = "The config history could not be read; the server log has the details. The config itself is on the Config page."
		b.render(c, http.StatusOK, "confighistory.html", page)
		return
	}
	page.MoreHint = len(changes) == q.Limit && q.Limit < configHistoryMax
	pickA, pickB := configComparePicks(q, changes)
	now := time.Now()
	byID := map[int64]configHistoryEntry{}
	for _, ch := range changes {
		e := configHistoryEntry{Change: ch, Kind: configHistoryKind(ch.ChangeType), Age: ago(ch.CreatedAt, now), PickA: ch.ID == pickA, PickB: ch.ID == pickB}
		if e.Diff, err = diffJSON(ch.Before, ch.After); err != nil {
			b.Logger.Error("board: diff config history entry", "id", ch.ID, "error", err)
			e.DiffError = "This entry's snapshots could not be read: " + err.Error()
		}
		page.Entries = append(page.Entries, e)
		byID[ch.ID] = e
	}
	if q.A != 0 || q.B != 0 {
		cmp, note := compareConfigEntries(q, byID, page.Limit)
		page.Compare = cmp
		if note != "" {
			page.Notes = append(page.Notes, note)
		}
	}
	b.render(c, http.StatusOK, "confighistory.html", page)
}

// compareConfigEntries builds the comparison of entries q.A and q.B, or says why it cannot.
func compareConfigEntries(q configHistoryQuery, byID map[int64]configHistoryEntry, limit int) (*configComparison, string) {
	if q.A == 0 || q.B == 0 {
		return nil, "Pick two entries to compare: one in column A and one in column B."
	}
	if q.A == q.B {
		return nil, fmt.Sprintf("Entry #%d is compared with itself; pick two different entries.", q.A)
	}
	for _, id := range []int64{q.A, q.B} {
		if _, ok := byID[id]; !ok {
			return nil, fmt.Sprintf("Entry #%d is not among the newest %d entries of this stage; add &limit=%d to the URL to look further back.", id, limit, configHistoryMax)
		}
	}
	a, b := byID[q.A], byID[q.B]
	rows, err := compareSnapshots(a.Change.After, b.Change.After)
	if err != nil {
		return nil, "The two entries cannot be compared: " + err.Error()
	}
	diff, err := diffJSON(a.Change.After, b.Change.After)
	if err != nil {
		return nil, "The two entries cannot be compared: " + err.Error()
	}
	mixed := (a.Change.ChangeType == schema.HistoryCapacity) != (b.Change.ChangeType == schema.HistoryCapacity)
	return &configComparison{A: a, B: b, Rows: rows, Diff: diff, Mixed: mixed}, ""
}
