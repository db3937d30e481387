/** Styles of the /ops page (see ops-page.html.ts for why this is a string). */
export const OPS_PAGE_CSS = String.raw`
:root { --bg: #f5f6f8; --card: #fff; --ink: #1d2430; --muted: #6b7480; --line: #e2e5ea; --bad: #c62828; --warn: #ef6c00; --ok: #2e7d32; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; background: var(--bg); color: var(--ink); }
header.top { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #13294b; color: #fff; position: sticky; top: 0; z-index: 2; }
header.top h1 { font-size: 18px; margin: 0; }
.spacer { flex: 1; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; color: var(--ink); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
.live { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #555; }
.live.on { background: var(--ok); }
.live.poll { background: var(--warn); }
main { padding: 12px 20px 40px; display: grid; gap: 16px; }
.tabs { display: flex; gap: 16px; }
.tabs a { color: var(--accent); text-decoration: none; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.card.narrow { max-width: 360px; margin: 60px auto; display: grid; gap: 10px; }
.card h2 { font-size: 16px; margin: 0 0 8px; }
.card h3 { font-size: 14px; margin: 12px 0 6px; color: var(--muted); }
label { display: grid; gap: 4px; }
.row label, header label { display: inline-flex; align-items: center; gap: 6px; }
input, select { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; }
.row { display: flex; align-items: center; gap: 8px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.clickable { cursor: pointer; }
tr.clickable:hover { background: #eef3fb; }
.badge { background: var(--bad); color: #fff; border-radius: 10px; padding: 0 8px; font-weight: 600; }
.overdue { color: var(--bad); font-weight: 600; }
.prio-urgent { color: var(--bad); font-weight: 700; }
.prio-high { color: var(--warn); font-weight: 600; }
.muted { color: var(--muted); }
.error { color: var(--bad); min-height: 1.5em; margin: 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
.timeline li { padding: 4px 0 8px 14px; position: relative; }
.timeline li::before { content: ""; position: absolute; left: -6px; top: 10px; width: 10px; height: 10px; border-radius: 50%; background: var(--accent); }
.timeline li.breach::before { background: var(--bad); }
.timeline time { color: var(--muted); margin-right: 8px; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
table.heat td.cell { text-align: center; font-variant-numeric: tabular-nums; min-width: 48px; }
`;
