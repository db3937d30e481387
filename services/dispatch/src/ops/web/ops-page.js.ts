/**
 * The /ops page script: plain browser JavaScript, no framework, no build step (see ops-page.html.ts
 * for why it is a string). Builds DOM nodes with textContent only (no innerHTML of data).
 */
export const OPS_PAGE_JS = String.raw`(function () {
  'use strict';

  var I18N = {
    zh: {
      title: '综治中心运行监控', offline: '未连接', live: '实时', polling: '轮询', logout: '退出', signIn: '登录',
      username: '用户名', password: '密码', loginFailed: '登录失败', close: '关闭', timeline: '处置时间线', tasks: '任务',
      boardNav: '超时看板', triageNav: '人工分拨', overviewNav: '在办概况', unitsNav: '单位绩效', hotspotsNav: '民情地图',
      board: '超时看板（SLA 违约）', noBreaches: '暂无超时', triage: '人工分拨队列', noTriage: '队列为空',
      overview: '在办案件', byPriority: '按优先级', byStatus: '按状态', byUnit: '按承办单位', aging: '账龄',
      units: '单位绩效与积分', period: '时段', days: '天', hotspots: '民情地图（网格 × 类别）',
      reference: '编号', unit: '单位', deadline: '时限', dueAt: '应完成', overdue: '已超时', priority: '优先级', grid: '网格',
      category: '类别', reason: '原因', waiting: '等待', description: '描述', status: '状态', total: '合计',
      tasksCol: '任务数', acceptP50: '签收P50', acceptP90: '签收P90', resolveP50: '办结P50', resolveP90: '办结P90',
      onTimeRate: '按时率', returnRate: '退单率', satisfactionRate: '满意率', breaches: '超时', points: '积分',
      role: '角色', assignedAt: '派单', acceptedAt: '签收', resolvedAt: '办结', reportedAt: '上报', leadUnit: '主办单位',
      building: '楼栋', acknowledged: '已确认', noData: '无数据', noGrid: '（未知网格）', noCategory: '（未分类）',
      'deadline.accept': '签收', 'deadline.resolve': '办结',
      'p.urgent': '紧急', 'p.high': '高', 'p.normal': '普通', 'p.low': '低',
      's.reported': '已上报', 's.triage': '待人工分拨', 's.routed': '已分拨', 's.assigned': '已派单', 's.accepted': '已签收',
      's.in_progress': '处置中', 's.resolved': '已办结', 's.closed': '已销号', 's.cancelled': '已撤销', 's.merged': '已合并',
      'e.case.routed': '分拨', 'e.case.triage-required': '转人工分拨', 'e.case.triaged': '人工分拨', 'e.case.assigned': '派单',
      'e.case.accepted': '签收', 'e.case.progress': '处置进展', 'e.case.returned': '退单', 'e.case.resolved': '办结',
      'e.case.closed': '销号', 'e.case.reopened': '重办', 'e.case.cancelled': '撤销', 'e.case.merged': '合并',
      'e.case.sla-warning': '即将超时', 'e.case.sla-breached': '超时', 'e.case.escalated': '升级督办',
      'e.case.supervision-flagged': '挂牌督办', 'e.case.escalation-acknowledged': '督办已确认',
      'e.case.extension-requested': '申请延期', 'e.case.extension-granted': '同意延期', 'e.case.extension-refused': '驳回延期',
      'e.case.info-requested': '补充信息', 'e.case.info-provided': '已补充信息', 'e.case.co-reported': '合并上报'
    },
    en: {
      title: 'Governance center ops', offline: 'offline', live: 'live', polling: 'polling', logout: 'Sign out', signIn: 'Sign in',
      username: 'Username', password: 'Password', loginFailed: 'Sign-in failed', close: 'Close', timeline: 'Timeline', tasks: 'Tasks',
      boardNav: 'Breach board', triageNav: 'Triage', overviewNav: 'Open cases', unitsNav: 'Units', hotspotsNav: 'Hotspots',
      board: 'Breach board (SLA)', noBreaches: 'No breaches', triage: 'Triage queue', noTriage: 'Queue is empty',
      overview: 'Open cases', byPriority: 'By priority', byStatus: 'By status', byUnit: 'By lead unit', aging: 'Aging',
      units: 'Unit performance and points', period: 'Period', days: 'days', hotspots: 'Hotspots (grid × category)',
      reference: 'Reference', unit: 'Unit', deadline: 'Deadline', dueAt: 'Due', overdue: 'Overdue', priority: 'Priority', grid: 'Grid',
      category: 'Category', reason: 'Reason', waiting: 'Waiting', description: 'Description', status: 'Status', total: 'Total',
      tasksCol: 'Tasks', acceptP50: 'Accept p50', acceptP90: 'Accept p90', resolveP50: 'Resolve p50', resolveP90: 'Resolve p90',
      onTimeRate: 'On time', returnRate: 'Returned', satisfactionRate: 'Satisfied', breaches: 'Breaches', points: 'Points',
      role: 'Role', assignedAt: 'Assigned', acceptedAt: 'Accepted', resolvedAt: 'Resolved', reportedAt: 'Reported', leadUnit: 'Lead unit',
      building: 'Building', acknowledged: 'Acknowledged', noData: 'No data', noGrid: '(no grid)', noCategory: '(uncategorised)',
      'deadline.accept': 'accept', 'deadline.resolve': 'resolve',
      'p.urgent': 'urgent', 'p.high': 'high', 'p.normal': 'normal', 'p.low': 'low',
      's.reported': 'reported', 's.triage': 'awaiting triage', 's.routed': 'routed', 's.assigned': 'assigned', 's.accepted': 'accepted',
      's.in_progress': 'in progress', 's.resolved': 'resolved', 's.closed': 'closed', 's.cancelled': 'cancelled', 's.merged': 'merged',
      'e.case.routed': 'Routed', 'e.case.triage-required': 'Sent to triage', 'e.case.triaged': 'Triaged', 'e.case.assigned': 'Assigned',
      'e.case.accepted': 'Accepted', 'e.case.progress': 'Progress', 'e.case.returned': 'Returned', 'e.case.resolved': 'Resolved',
      'e.case.closed': 'Closed', 'e.case.reopened': 'Reopened', 'e.case.cancelled': 'Cancelled', 'e.case.merged': 'Merged',
      'e.case.sla-warning': 'SLA warning', 'e.case.sla-breached': 'SLA breached', 'e.case.escalated': 'Escalated',
      'e.case.supervision-flagged': 'Flagged for supervision', 'e.case.escalation-acknowledged': 'Escalation acknowledged',
      'e.case.extension-requested': 'Extension requested', 'e.case.extension-granted': 'Extension granted',
      'e.case.extension-refused': 'Extension refused', 'e.case.info-requested': 'Info requested',
      'e.case.info-provided': 'Info provided', 'e.case.co-reported': 'Co-reported'
    }
  };

  var lang = localStorage.getItem('ops.lang') === 'en' ? 'en' : 'zh';
  var state = { board: null, triage: null, source: null, pollTimer: null, slowTimer: null, caseId: null };

  function t(key) { var d = I18N[lang]; return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : key; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'className') n.className = attrs[k];
      else if (k === 'onclick') n.addEventListener('click', attrs[k]);
      else n.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return n;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function fmtTime(iso) {
    if (!iso) return '–';
    var d = new Date(iso);
    return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  function fmtDuration(s) {
    if (s === null || s === undefined) return '–';
    s = Math.max(0, Math.round(s));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var u = lang === 'zh' ? ['天', '小时', '分'] : ['d ', 'h ', 'm'];
    if (d > 0) return d + u[0] + h + u[1];
    if (h > 0) return h + u[1] + m + u[2];
    return m + u[2];
  }
  function pct(r) { return r === null || r === undefined ? '–' : Math.round(r * 1000) / 10 + '%'; }
  function prio(p) { return el('span', { className: 'prio-' + (p || 'normal'), text: p ? t('p.' + p) : '–' }); }

  function api(path, options) {
    var o = options || {};
    o.credentials = 'same-origin';
    o.headers = Object.assign({ accept: 'application/json' }, o.headers || {});
    return fetch(path, o).then(function (res) {
      if (res.status === 401) { showLogin(); throw new Error('unauthenticated'); }
      if (!res.ok) return res.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.message || res.statusText); });
      return res.json();
    });
  }

  function applyLang() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title') + ' · Ops';
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (n) {
      if (n.id === 'live') return;
      n.textContent = t(n.getAttribute('data-i18n'));
    });
    $('lang-toggle').textContent = lang === 'zh' ? 'English' : '中文';
    setLive(state.source ? 'on' : state.pollTimer ? 'poll' : 'off');
    renderBoard(); renderTriage();
    if (!$('app').hidden) { loadOverview(); loadUnits(); loadHotspots(); }
    if (state.caseId) openCase(state.caseId);
  }

  function setLive(mode) {
    var n = $('live');
    n.className = 'live' + (mode === 'on' ? ' on' : mode === 'poll' ? ' poll' : '');
    n.textContent = t(mode === 'on' ? 'live' : mode === 'poll' ? 'polling' : 'offline');
  }

  function head(table, cols) {
    var thead = table.querySelector('thead');
    clear(thead);
    thead.appendChild(el('tr', null, cols.map(function (c) {
      return el('th', { text: t(c[0]), className: c[1] ? 'num' : '' });
    })));
  }

  // ------------------------------------------------------------ live board
  function renderBoard() {
    var b = state.board, table = $('breach-board'), body = table.querySelector('tbody');
    head(table, [['reference'], ['unit'], ['deadline'], ['dueAt'], ['overdue', true], ['priority'], ['grid'], ['description']]);
    clear(body);
    var items = b ? b.items : [];
    $('board-count').textContent = String(b ? b.total : 0);
    $('board-empty').hidden = items.length > 0;
    items.forEach(function (i) {
      var overdue = i.dueAt ? (Date.now() - new Date(i.dueAt).getTime()) / 1000 : i.overdueSeconds;
      var tr = el('tr', { className: 'clickable breach-row', 'data-case-id': i.caseId, onclick: function () { openCase(i.caseId); } }, [
        el('td', null, [el('button', { className: 'link', type: 'button', text: i.reference || i.caseId.slice(0, 8) })]),
        el('td', { text: i.unitName || i.unitId || '–' }),
        el('td', { text: t('deadline.' + i.deadline) + (i.acknowledged ? ' ✓' : '') }),
        el('td', { text: fmtTime(i.dueAt) }),
        el('td', { className: 'num overdue', text: fmtDuration(overdue) }),
        el('td', null, [prio(i.priority)]),
        el('td', { text: i.grid || '–' }),
        el('td', { text: (i.description || '').slice(0, 60) })
      ]);
      body.appendChild(tr);
    });
  }

  function renderTriage() {
    var q = state.triage, table = $('triage-queue'), body = table.querySelector('tbody');
    head(table, [['reference'], ['priority'], ['category'], ['grid'], ['reason'], ['waiting', true], ['description']]);
    clear(body);
    var items = q ? q.items : [];
    $('triage-count').textContent = String(q ? q.total : 0);
    $('triage-empty').hidden = items.length > 0;
    items.forEach(function (i) {
      body.appendChild(el('tr', { className: 'clickable', onclick: function () { openCase(i.caseId); } }, [
        el('td', null, [el('button', { className: 'link', type: 'button', text: i.reference })]),
        el('td', null, [prio(i.priority)]),
        el('td', { text: i.category || '–' }),
        el('td', { text: i.grid || '–' }),
        el('td', { text: i.reason || '–' }),
        el('td', { className: 'num', text: fmtDuration((Date.now() - new Date(i.reportedAt).getTime()) / 1000) }),
        el('td', { text: (i.description || '').slice(0, 60) })
      ]));
    });
  }

  function onBoard(data) {
    state.board = data.breaches; state.triage = data.triage;
    renderBoard(); renderTriage();
    loadOverview();
  }

  function poll() {
    Promise.all([api('/ops/v1/breaches/open?limit=100'), api('/ops/v1/triage?limit=100')])
      .then(function (r) { onBoard({ breaches: r[0], triage: r[1] }); })
      .catch(function () { /* shown as offline by the next tick */ });
  }

  function startPolling() {
    if (state.pollTimer) return;
    setLive('poll');
    poll();
    state.pollTimer = setInterval(poll, 2500);
  }

  function startLive() {
    if (!window.EventSource) { startPolling(); return; }
    var es = new EventSource('/ops/v1/stream');
    state.source = es;
    es.addEventListener('board', function (ev) {
      setLive('on');
      try { onBoard(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed frame */ }
    });
    es.onerror = function () {
      es.close(); state.source = null;
      startPolling();
    };
  }

  function stopLive() {
    if (state.source) { state.source.close(); state.source = null; }
    if (state.pollTimer) { clearInterval(state.pollTimer); state.pollTimer = null; }
    if (state.slowTimer) { clearInterval(state.slowTimer); state.slowTimer = null; }
    setLive('off');
  }

  // ------------------------------------------------------------ case view
  function openCase(caseId) {
    state.caseId = caseId;
    api('/ops/v1/cases/' + encodeURIComponent(caseId)).then(function (c) {
      $('case-view').hidden = false;
      $('case-title').textContent = (c.reference || c.caseId) + ' · ' + t('s.' + c.status);
      var facts = $('case-facts');
      clear(facts);
      [['priority', c.priority ? t('p.' + c.priority) : '–'], ['category', c.category || '–'],
       ['grid', (c.grid || '–') + (c.building ? ' / ' + c.building : '')], ['leadUnit', c.leadUnitName || c.leadUnitId || '–'],
       ['reportedAt', fmtTime(c.reportedAt)], ['breaches', String(c.breachCount)], ['description', c.description || '–']]
        .forEach(function (f) { facts.appendChild(el('dt', { text: t(f[0]) })); facts.appendChild(el('dd', { text: f[1] })); });
      var tl = $('case-timeline');
      clear(tl);
      c.timeline.forEach(function (e) {
        tl.appendChild(el('li', { className: e.type === 'case.sla-breached' ? 'breach' : '', 'data-type': e.type }, [
          el('time', { datetime: e.at, text: fmtTime(e.at) }),
          el('strong', { text: t('e.' + e.type) }),
          e.unitName || e.unitId ? ' · ' + (e.unitName || e.unitId) : null,
          e.status ? el('span', { className: 'muted', text: ' → ' + t('s.' + e.status) }) : null,
          e.note ? el('div', { className: 'muted', text: e.note }) : null
        ]));
      });
      var tasks = $('case-tasks');
      head(tasks, [['unit'], ['role'], ['assignedAt'], ['acceptedAt'], ['resolvedAt'], ['breaches']]);
      var body = tasks.querySelector('tbody');
      clear(body);
      c.tasks.forEach(function (k) {
        body.appendChild(el('tr', null, [
          el('td', { text: k.unitName || k.unitId || '–' }), el('td', { text: k.role || '–' }),
          el('td', { text: fmtTime(k.assignedAt) }), el('td', { text: fmtTime(k.acceptedAt) }), el('td', { text: fmtTime(k.resolvedAt) }),
          el('td', { text: (k.acceptBreached ? t('deadline.accept') + ' ' : '') + (k.resolveBreached ? t('deadline.resolve') : '') })
        ]));
      });
      $('case-view').scrollIntoView({ block: 'start' });
    }).catch(function () { /* a 401 shows the login form */ });
  }

  // ------------------------------------------------------------ overview, units, hotspots
  function kvTable(id, rows, label) {
    var body = $(id).querySelector('tbody');
    clear(body);
    if (!rows.length) body.appendChild(el('tr', null, [el('td', { className: 'muted', text: t('noData') })]));
    rows.forEach(function (r) {
      body.appendChild(el('tr', null, [el('td', { text: label(r) }), el('td', { className: 'num', text: String(r.count) })]));
    });
  }

  function loadOverview() {
    api('/ops/v1/open-cases').then(function (o) {
      kvTable('open-by-priority', o.byPriority, function (r) { return t('p.' + r.key); });
      kvTable('open-by-status', o.byStatus, function (r) { return t('s.' + r.key); });
      kvTable('open-by-unit', o.byUnit.slice(0, 10), function (r) { return r.label || r.key || '–'; });
    }).catch(function () {});
    api('/ops/v1/aging').then(function (a) {
      kvTable('aging', a.buckets, function (b) { return lang === 'zh' ? b.zh : b.en; });
    }).catch(function () {});
  }

  function periodOf(selectId) {
    var days = Number($(selectId).value) || 30;
    var to = new Date();
    var from = new Date(to.getTime() - days * 86400000);
    return 'from=' + encodeURIComponent(from.toISOString()) + '&to=' + encodeURIComponent(to.toISOString());
  }

  function loadUnits() {
    api('/ops/v1/units/performance?' + periodOf('unit-period')).then(function (p) {
      var table = $('unit-performance');
      head(table, [['unit'], ['tasksCol', true], ['acceptP50', true], ['acceptP90', true], ['resolveP50', true], ['resolveP90', true],
        ['onTimeRate', true], ['returnRate', true], ['satisfactionRate', true], ['breaches', true], ['points', true]]);
      var body = table.querySelector('tbody');
      clear(body);
      p.units.slice().sort(function (a, b) { return b.points - a.points; }).forEach(function (u) {
        body.appendChild(el('tr', null, [
          el('td', { text: u.unitName || u.unitId }), el('td', { className: 'num', text: String(u.tasks) }),
          el('td', { className: 'num', text: fmtDuration(u.acceptSecondsP50) }), el('td', { className: 'num', text: fmtDuration(u.acceptSecondsP90) }),
          el('td', { className: 'num', text: fmtDuration(u.resolveSecondsP50) }), el('td', { className: 'num', text: fmtDuration(u.resolveSecondsP90) }),
          el('td', { className: 'num', text: pct(u.onTimeRate) }), el('td', { className: 'num', text: pct(u.returnRate) }),
          el('td', { className: 'num', text: pct(u.satisfactionRate) }), el('td', { className: 'num', text: String(u.breaches) }),
          el('td', { className: 'num', text: String(u.points) })
        ]));
      });
    }).catch(function () {});
  }

  function loadHotspots() {
    api('/ops/v1/hotspots?level=grid&' + periodOf('hotspot-period')).then(function (h) {
      var grids = [], cats = [], cell = {}, max = 0;
      h.cells.forEach(function (c) {
        if (grids.indexOf(c.grid) < 0) grids.push(c.grid);
        if (cats.indexOf(c.category) < 0) cats.push(c.category);
        cell[c.grid + '\u0000' + c.category] = c.count;
        if (c.count > max) max = c.count;
      });
      grids.sort(); cats.sort();
      var table = $('hotspot-map'), thead = table.querySelector('thead'), body = table.querySelector('tbody');
      clear(thead); clear(body);
      thead.appendChild(el('tr', null, [el('th', { text: t('grid') })].concat(cats.map(function (c) {
        return el('th', { text: c || t('noCategory') });
      })).concat([el('th', { className: 'num', text: t('total') })])));
      if (!grids.length) body.appendChild(el('tr', null, [el('td', { className: 'muted', text: t('noData') })]));
      grids.forEach(function (g) {
        var total = 0;
        var tds = cats.map(function (c) {
          var n = cell[g + '\u0000' + c] || 0;
          total += n;
          var td = el('td', { className: 'cell', text: n ? String(n) : '' });
          if (n) {
            var a = 0.12 + 0.78 * (n / max);
            td.style.background = 'rgba(198, 40, 40, ' + a.toFixed(2) + ')';
            if (a > 0.5) td.style.color = '#fff';
          }
          return td;
        });
        body.appendChild(el('tr', null, [el('th', { text: g || t('noGrid') })].concat(tds).concat([el('td', { className: 'num', text: String(total) })])));
      });
    }).catch(function () {});
  }

  // ------------------------------------------------------------ sign-in
  function showLogin() {
    stopLive();
    $('app').hidden = true; $('login').hidden = false; $('logout').hidden = true; $('who').textContent = '';
  }

  function showApp(me) {
    $('login').hidden = true; $('app').hidden = false; $('logout').hidden = false;
    $('who').textContent = me && me.displayName ? me.displayName : '';
    startLive();
    loadOverview(); loadUnits(); loadHotspots();
    state.slowTimer = setInterval(function () { loadOverview(); }, 15000);
  }

  function boot() {
    applyLang();
    $('lang-toggle').addEventListener('click', function () {
      lang = lang === 'zh' ? 'en' : 'zh';
      localStorage.setItem('ops.lang', lang);
      applyLang();
    });
    $('case-close').addEventListener('click', function () { $('case-view').hidden = true; state.caseId = null; });
    $('unit-period').addEventListener('change', loadUnits);
    $('hotspot-period').addEventListener('change', loadHotspots);
    $('logout').addEventListener('click', function () {
      fetch('/center/v1/auth/logout', { method: 'POST', credentials: 'same-origin' }).finally(showLogin);
    });
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      $('login-error').textContent = '';
      fetch('/center/v1/auth/login', {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: $('username').value, password: $('password').value })
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (b) {
          if (!res.ok) throw new Error(b.message || t('loginFailed'));
          $('password').value = '';
          showApp(b);
        });
      }).catch(function (e) { $('login-error').textContent = t('loginFailed') + ': ' + e.message; });
    });
    fetch('/center/v1/auth/me', { credentials: 'same-origin' }).then(function (res) {
      if (res.ok) return res.json().then(showApp);
      showLogin();
    }).catch(showLogin);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
`;
