package expr

// NFTA_FLOW_TABLE_NAME, the flow_offload expression's only attribute.
const flowTableName = 1

// formatFlowOffload prints "flowtable f ".
func formatFlowOffload(_ byte, a attrs) string {
	return "flowtable " + a.str(flowTableName) + " "
}
