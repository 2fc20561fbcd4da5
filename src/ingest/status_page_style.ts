/**
 * The status page's style sheet, inlined in the page and allowed by its
 * SHA-256 hash in the Content-Security-Policy (so no other style runs).
 *
 * @module
 */

/** The CSS of `GET /status`, without its `<style>` tags. */
export const STATUS_PAGE_STYLE: string = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #fff; --text: #1d2329; --muted: #5c6670;
  --line: #d8dde2; --ok: #137a3f; --warn: #9a6100; --bad: #b42318;
  --off: #6b7280; --delivered: #2563eb; --failed: #b42318; --requests: #7c3aed;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1a1f25; --text: #e6e9ec; --muted: #9aa4ae;
    --line: #2c333b; --ok: #4ade80; --warn: #fbbf24; --bad: #f87171;
    --off: #9ca3af; --delivered: #60a5fa; --failed: #f87171; --requests: #c084fc;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 1.25rem; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .75rem; }
h1 { font-size: 1.35rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
.muted, #updated { color: var(--muted); }
.badge {
  display: inline-block; padding: .1rem .55rem; border-radius: 999px;
  font-weight: 600; font-size: .8rem; border: 1px solid currentColor;
}
.status-ok, .status-delivering { color: var(--ok); }
.status-degraded, .status-backing_off { color: var(--warn); }
.status-failing { color: var(--bad); }
.status-disabled, .status-unknown { color: var(--off); }
form, .problem {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: .75rem 1rem; margin: 1rem 0; max-width: 44rem;
}
.problem { border-color: var(--bad); color: var(--bad); }
form label { display: block; font-weight: 600; margin-bottom: .35rem; }
form input { width: 22rem; max-width: 100%; padding: .35rem .5rem; font: inherit; }
form button { padding: .35rem .8rem; font: inherit; cursor: pointer; }
.grid {
  display: grid; gap: .9rem;
  grid-template-columns: repeat(auto-fill, minmax(21rem, 1fr));
}
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: .8rem 1rem;
}
.card.failing { border-color: var(--bad); border-width: 2px; }
.card-head { display: flex; justify-content: space-between; gap: .5rem; align-items: baseline; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .9rem; margin: .6rem 0; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.error { margin: .5rem 0; padding: .45rem .6rem; border-left: 3px solid var(--bad); overflow-wrap: anywhere; }
.error.none { border-left-color: var(--ok); color: var(--muted); }
.hint { margin: .35rem 0 0; color: var(--muted); overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: .75rem; }
figure.chart { margin: 0; }
figure.chart figcaption { font-size: .8rem; }
svg.chart-svg { display: block; width: 15rem; height: 3.2rem; }
svg.chart-svg .frame { fill: none; stroke: var(--line); }
svg.chart-svg .line { fill: none; stroke: currentColor; stroke-width: 1.5; }
svg.chart-svg .area { fill: currentColor; fill-opacity: .15; stroke: none; }
.chart-delivered, .chart-accepted { color: var(--delivered); }
.chart-failed { color: var(--failed); }
.chart-requests { color: var(--requests); }
figure.chart figcaption { color: var(--muted); }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.reason { overflow-wrap: anywhere; }
footer { margin-top: 1.5rem; color: var(--muted); font-size: .8rem; }
`;
