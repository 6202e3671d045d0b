package analyticsapi

// The backtest's charts, for the tests that run a backtest on data loaded through the API.
var (
	BacktestTrackingChart  = backtestTrackingChart
	BacktestFrequencyChart = backtestFrequencyChart
)
