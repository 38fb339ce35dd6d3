package core

import "strings"

// SystemActor is the audit trail's actor for the changes Teletraan's workflows make by
// themselves: automatic rollbacks, promotions, hosts marked stuck, alert actions. Filter
// the trail by it to see everything no person or token asked for.
const SystemActor = "system"

// IsWorkflowOperator reports whether a deploy's operator is one of Teletraan's workflows
// rather than a person (an email) or a token (letters, digits, '-' and '_'): the stage's
// automatic rollback ("teletraan (onFailure ROLLBACK)"), a promotion ("promotion:<env>/<stage>")
// or another system actor ("system", "system:<what>"). Those deploys were asked for by no
// API call, so the audit trail records them when their workflow starts them.
func IsWorkflowOperator(operator string) bool {
	return operator == SystemActor || strings.HasPrefix(operator, SystemActor+":") ||
		strings.HasPrefix(operator, "promotion:") || strings.HasPrefix(operator, "teletraan (")
}
