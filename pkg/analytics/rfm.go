package analytics

// Segments of the R×F grid, named as in the widely used RFM segmentation (recency and frequency
// scores 1–5, 5 best).
const (
	SegChampions          = "champions"
	SegLoyalCustomers     = "loyal_customers"
	SegPotentialLoyalists = "potential_loyalists"
	SegNewCustomers       = "new_customers"
	SegPromising          = "promising"
	SegNeedAttention      = "need_attention"
	SegAboutToSleep       = "about_to_sleep"
	SegAtRisk             = "at_risk"
	SegCantLose           = "cant_lose"
	SegHibernating        = "hibernating"
)

// SegmentNames lists every segment, best first.
var SegmentNames = []string{SegChampions, SegLoyalCustomers, SegPotentialLoyalists, SegNewCustomers, SegPromising,
	SegNeedAttention, SegAboutToSleep, SegAtRisk, SegCantLose, SegHibernating}

// Segment places recency and frequency scores on the grid:
//
//	R\F   1               2               3               4                5
//	5     new_customers   potential_loy.  potential_loy.  champions        champions
//	4     promising       potential_loy.  potential_loy.  loyal_customers  loyal_customers
//	3     about_to_sleep  about_to_sleep  need_attention  loyal_customers  loyal_customers
//	1–2   hibernating     hibernating     at_risk         at_risk          cant_lose
func Segment(r, f int) string {
	switch {
	case r <= 2 && f <= 2:
		return SegHibernating
	case r <= 2 && f <= 4:
		return SegAtRisk
	case r <= 2:
		return SegCantLose
	case r == 3 && f <= 2:
		return SegAboutToSleep
	case r == 3 && f == 3:
		return SegNeedAttention
	case r <= 4 && f >= 4:
		return SegLoyalCustomers
	case r == 4 && f == 1:
		return SegPromising
	case r == 5 && f == 1:
		return SegNewCustomers
	case f <= 3:
		return SegPotentialLoyalists
	default:
		return SegChampions
	}
}
