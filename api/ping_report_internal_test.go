package api

import "testing"

// The switches that validate reports must accept exactly the listed values the error
// messages name.
func TestReportValidatorsMatchTheirLists(t *testing.T) {
	for _, s := range reportStages() {
		if !isReportStage(s) {
			t.Errorf("stage %s is listed but refused", s)
		}
	}
	for _, s := range reportStatuses() {
		if !isReportStatus(s) {
			t.Errorf("status %s is listed but refused", s)
		}
	}
	if isReportStage("DANCING") || isReportStatus("DANCING") {
		t.Error("an unknown value was accepted")
	}
}
