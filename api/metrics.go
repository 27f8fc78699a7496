package api

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus collectors, in a registry of its own
// (no global state: two servers in one test process do not collide).
// Requests are labelled by the matched route (gin's FullPath), never the
// raw path, so an id in a URL cannot blow up the label set.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	scored    *prometheus.CounterVec
	ingest    *prometheus.CounterVec
	spoolDep  prometheus.Gauge
	spoolRows prometheus.Gauge
	model     *prometheus.GaugeVec
	snapGen   prometheus.Gauge
	snapSecs  prometheus.Gauge
	openInv   prometheus.Gauge
	replayed  prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dsopilot_http_requests_total", Help: "HTTP requests by matched route, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dsopilot_http_request_duration_seconds", Help: "HTTP request latency by matched route, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})
	m.scored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dsopilot_scored_invoices_total", Help: "Invoices scored by requests, by source (stored or given).",
	}, []string{"source"})
	m.ingest = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dsopilot_ingest_rows_total", Help: "Rows received by ingest and recording routes, by entity and result (loaded, rejected, spooled).",
	}, []string{"entity", "result"})
	m.spoolDep = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dsopilot_spool_depth", Help: "Batches waiting in the on-disk spool for the store to come back.",
	})
	m.spoolRows = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dsopilot_spool_rows", Help: "Records waiting in the on-disk spool.",
	})
	m.replayed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dsopilot_spool_replayed_batches_total", Help: "Spooled batches written to the store.",
	})
	m.model = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dsopilot_model_info", Help: "The model in service (value 1, labelled by its id).",
	}, []string{"model_id"})
	m.snapGen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dsopilot_snapshot_generation", Help: "Generation of the scored snapshot of the open book.",
	})
	m.snapSecs = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dsopilot_snapshot_build_seconds", Help: "Time the last snapshot took to build.",
	})
	m.openInv = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dsopilot_open_invoices", Help: "Open invoices in the snapshot.",
	})
	m.reg.MustRegister(m.requests, m.latency, m.scored, m.ingest, m.spoolDep, m.spoolRows, m.replayed, m.model,
		m.snapGen, m.snapSecs, m.openInv,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// setModel labels the model gauge with id alone.
func (m *metrics) setModel(id string) {
	m.model.Reset()
	if id != "" {
		m.model.WithLabelValues(id).Set(1)
	}
}
