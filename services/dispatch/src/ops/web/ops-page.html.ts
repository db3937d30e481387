/**
 * The /ops page shell. Kept as a TypeScript string so it ships inside dist/ with the compiled
 * code (the runtime image holds only dist/): no asset copying, no path guessing. No inline script
 * or style: the page is served with `script-src 'self'`.
 */
export const OPS_PAGE_HTML = String.raw`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>综治中心运行监控 · Ops</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ops/app.css">
<script src="/ops/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1 data-i18n="title">综治中心运行监控</h1>
  <span id="live" class="live" data-i18n="offline">未连接</span>
  <span class="spacer"></span>
  <span id="who"></span>
  <button id="lang-toggle" type="button">English</button>
  <button id="logout" type="button" hidden data-i18n="logout">退出</button>
</header>

<section id="login" hidden>
  <form id="login-form" class="card narrow">
    <h2 data-i18n="signIn">登录</h2>
    <label><span data-i18n="username">用户名</span><input id="username" name="username" autocomplete="username" required></label>
    <label><span data-i18n="password">密码</span><input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <button id="login-submit" type="submit" data-i18n="signIn">登录</button>
    <p id="login-error" class="error" role="alert"></p>
  </form>
</section>

<main id="app" hidden>
  <nav class="tabs">
    <a href="#board" data-i18n="boardNav">超时看板</a>
    <a href="#triage" data-i18n="triageNav">人工分拨</a>
    <a href="#overview" data-i18n="overviewNav">在办概况</a>
    <a href="#units" data-i18n="unitsNav">单位绩效</a>
    <a href="#hotspots" data-i18n="hotspotsNav">民情地图</a>
  </nav>

  <section id="case-view" class="card" hidden>
    <div class="row"><h2 id="case-title"></h2><span class="spacer"></span><button id="case-close" type="button" data-i18n="close">关闭</button></div>
    <dl id="case-facts" class="facts"></dl>
    <h3 data-i18n="timeline">处置时间线</h3>
    <ol id="case-timeline" class="timeline"></ol>
    <h3 data-i18n="tasks">任务</h3>
    <table id="case-tasks"><thead></thead><tbody></tbody></table>
  </section>

  <section id="board" class="card">
    <div class="row"><h2 data-i18n="board">超时看板（SLA 违约）</h2><span class="spacer"></span><span id="board-count" class="badge">0</span></div>
    <table id="breach-board"><thead></thead><tbody></tbody></table>
    <p id="board-empty" class="muted" data-i18n="noBreaches">暂无超时</p>
  </section>

  <section id="triage" class="card">
    <div class="row"><h2 data-i18n="triage">人工分拨队列</h2><span class="spacer"></span><span id="triage-count" class="badge">0</span></div>
    <table id="triage-queue"><thead></thead><tbody></tbody></table>
    <p id="triage-empty" class="muted" data-i18n="noTriage">队列为空</p>
  </section>

  <section id="overview" class="card">
    <h2 data-i18n="overview">在办案件</h2>
    <div class="grid2">
      <div><h3 data-i18n="byPriority">按优先级</h3><table id="open-by-priority"><tbody></tbody></table></div>
      <div><h3 data-i18n="byStatus">按状态</h3><table id="open-by-status"><tbody></tbody></table></div>
      <div><h3 data-i18n="byUnit">按承办单位</h3><table id="open-by-unit"><tbody></tbody></table></div>
      <div><h3 data-i18n="aging">账龄</h3><table id="aging"><tbody></tbody></table></div>
    </div>
  </section>

  <section id="units" class="card">
    <div class="row"><h2 data-i18n="units">单位绩效与积分</h2><span class="spacer"></span>
      <label><span data-i18n="period">时段</span>
        <select id="unit-period"><option value="7">7</option><option value="30" selected>30</option><option value="90">90</option></select>
        <span data-i18n="days">天</span></label></div>
    <table id="unit-performance"><thead></thead><tbody></tbody></table>
  </section>

  <section id="hotspots" class="card">
    <div class="row"><h2 data-i18n="hotspots">民情地图（网格 × 类别）</h2><span class="spacer"></span>
      <label><span data-i18n="period">时段</span>
        <select id="hotspot-period"><option value="7">7</option><option value="30" selected>30</option><option value="90">90</option></select>
        <span data-i18n="days">天</span></label></div>
    <div class="scroll"><table id="hotspot-map" class="heat"><thead></thead><tbody></tbody></table></div>
  </section>
</main>
</body>
</html>
`;
