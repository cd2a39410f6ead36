// @ts-check
// The operator console's entry module: plain ES modules, no framework, no CDN. Server data goes into the page
// only through textContent (never innerHTML), and the page only talks to its own origin (CSP connect-src
// 'self'). Each view's module wires its own controls; this one sets the language and resumes the session.
import { wireAudit } from './audit.js';
import { $ } from './dom.js';
import { applyLabels, currentLang, setLang } from './i18n.js';
import { loadState } from './lanes.js';
import { fillReasonFilter, wireSearch } from './search.js';
import { resumeSession, signedIn, wireSession } from './session.js';
import { report } from './toast.js';

/** The button offers the other language. */
function showLangButton() {
  $('#lang').textContent = currentLang() === 'vi' ? 'EN' : 'VI';
}

$('#lang').addEventListener('click', () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  showLangButton();
  fillReasonFilter();
  if (signedIn()) loadState().catch(report);
});

wireSession();
wireSearch();
wireAudit();

setLang(currentLang());
showLangButton();
applyLabels(document);
fillReasonFilter();
resumeSession().catch(report);
