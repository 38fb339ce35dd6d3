// Package board is the web UI served beside the API. For now it is one server-rendered page
// that lists the stages with their current deploy and links to the API and the Temporal UI;
// the full board (stage pages, host grid, actions) builds on it.
package board

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Board renders the UI pages from the store.
type Board struct {
	Store *schema.Store
	// TemporalUIURL links each deploy to its workflow; empty hides the links.
	TemporalUIURL string
	// Namespace is the Temporal namespace of the deploy workflows.
	Namespace string
	Logger    *slog.Logger
	pages     *template.Template
}

// Register adds the board's routes to engine.
func (b *Board) Register(engine *gin.Engine) {
	b.pages = template.Must(template.New("").ParseFS(templateFiles, "templates/*.html"))
	if b.Logger == nil {
		b.Logger = slog.New(slog.DiscardHandler)
	}
	if b.Namespace == "" {
		b.Namespace = "default"
	}
	engine.GET("/", b.home)
}

type stageRow struct {
	Stage  schema.Stage
	Deploy *schema.Deploy
}

type homePage struct {
	Stages        []stageRow
	TemporalUIURL string
	Namespace     string
	Error         string
}

func (b *Board) home(c *gin.Context) {
	ctx := c.Request.Context()
	page := homePage{TemporalUIURL: b.TemporalUIURL, Namespace: b.Namespace}
	stages, err := b.Store.ListStages(ctx, schema.StageFilter{})
	if err != nil {
		b.Logger.Error("board: list stages", "error", err)
		page.Error = "The database did not answer; the server log has the details."
	}
	for _, st := range stages {
		row := stageRow{Stage: st}
		if st.CurrentDeployID != "" {
			if d, err := b.Store.GetDeploy(ctx, st.CurrentDeployID); err == nil {
				row.Deploy = d
			}
		}
		page.Stages = append(page.Stages, row)
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := b.pages.ExecuteTemplate(c.Writer, "home.html", page); err != nil {
		b.Logger.Error("board: render home", "error", err)
	}
}
