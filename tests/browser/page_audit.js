// The machine-checkable WCAG 2.1 AA checks of one page; returns the problems found.
() => {
  const problems = [];
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {r:p[0], g:p[1], b:p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r:255, g:255, b:255, a:1}; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || el.closest('svg')) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;  // visually hidden text
    const fg = parse(style.color); const bg = background(el);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize); const bold = parseInt(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} for "${node.textContent.trim().slice(0, 40)}"`);
  }
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.type === 'hidden' || c.type === 'submit' || c.closest('[hidden]')) continue;
    const labelled = (c.id && document.querySelector(`label[for="${c.id}"]`)) || c.closest('label')
      || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || c.title;
    if (!labelled) problems.push(`unlabelled ${c.tagName.toLowerCase()} name=${c.name}`);
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
  if (!document.documentElement.lang) problems.push('no lang on html');
  if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push(`wider than the screen: ${document.documentElement.scrollWidth}px`);
  return problems;
}
