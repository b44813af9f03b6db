// Gatehouse's hosted sign-in and sign-up pages. No framework: the DOM, fetch
// and getUserMedia. Every call goes to the stack's own public API; the
// user's token leaves this page only as a one-time code in the redirect
// (POST /v2/hosted/authorizations), unless the flow opted into Verifik's
// `?type=login&token=`.
(() => {
  'use strict';

  const TEXT = {
    en: {
      loading: 'Loading…', signInTitle: 'Sign in', signUpTitle: 'Create your account',
      signInHint: 'We will send you a one-time code.', email: 'Email address', phone: 'Phone number',
      countryCode: 'Country code', byEmail: 'Email', byPhone: 'Phone', useChannel: 'Receive the code by',
      sendCode: 'Send code', codeTitle: 'Enter your code', codeSentTo: 'We sent a 6-digit code to {to}.',
      code: 'One-time code', verify: 'Verify', resend: 'Send a new code', resendIn: 'Send a new code in {s} s',
      resent: 'A new code is on its way.', changeContact: 'Use another email or phone',
      faceSignIn: 'Sign in with your face', faceTitle: 'Check your face', faceHint:
        'Look at the camera, in good light, with nothing covering your face.',
      faceStart: 'Start the camera', faceCapture: 'Take the check', faceSecondTitle: 'One more step: your face',
      cameraDenied: 'The camera is not available. Allow it in your browser and try again.',
      livenessUnavailable: 'This page cannot run the live face check here. Sign in with a code instead.',
      signedIn: 'You are signed in.', redirecting: 'Taking you back…', fullName: 'Full name',
      firstName: 'First name', lastName: 'Last name', continue: 'Continue', birthDate: 'Date of birth',
      basicTitle: 'About you', documentTitle: 'Your identity document', documentHint:
        'A photo of the front of your passport or ID card: all four corners, no glare.',
      documentFile: 'Photo of the document', documentBack: 'Back of the document (optional)',
      submit: 'Submit', livenessTitle: 'A live photo of you', formTitle: 'A few more details',
      formField: 'Anything else we should know (optional)', agree: 'I accept the terms and the privacy notice',
      completedTitle: 'Your account is ready', reviewTitle: 'Thank you', reviewText:
        'We are reviewing your details and will be in touch.', failedTitle: 'We could not verify you',
      failedText: 'Your registration could not be completed.', elsewhereText:
        'The next step is completed with the company directly.', noFlow: 'This project has no sign-in of this kind.',
      required: '{field} is required.', invalidCode: 'Enter the 6 digits of the code.', working: 'Please wait…',
      retryIn: 'Try again in {s} s.',
      'error.generic': 'Something went wrong. Please try again.',
      'error.otp_does_not_match': 'That code is not right, or it is no longer valid.',
      'error.invalid_otp': 'Enter the 6 digits of the code.',
      'error.otp_already_used': 'That code was already used. Ask for a new one.',
      'error.attempts_exhausted': 'Too many wrong codes. Ask for a new code.',
      'error.emailValidation_has_expired': 'That code has expired. Ask for a new one.',
      'error.phoneValidation_has_expired': 'That code has expired. Ask for a new one.',
      'error.resend_too_soon': 'Please wait before asking for another code.',
      'error.identifier_rate_limited': 'Too many codes were sent. Please wait.',
      'error.ip_rate_limited': 'Too many requests from your network. Please wait.',
      'error.ip_check_rate_limited': 'Too many attempts from your network. Please wait.',
      'error.flow_rate_limited': 'We are very busy. Please try again shortly.',
      'error.flow_sms_rate_limited': 'Text messages are paused. Try email, or wait a moment.',
      'error.phone_prefix_rate_limited': 'Text messages to this number are paused. Please wait.',
      'error.sms_circuit_open': 'Text messages are unavailable right now. Try email.',
      'error.code_delivery_failed': 'We could not deliver the code. Check the address and try again.',
      'error.invalid_email': 'Enter a valid email address.',
      'error.invalid_phone': 'Enter a valid phone number.',
      'error.invalid_country_code': 'Enter a country code such as +1.',
      'error.country_not_allowed': 'Phone numbers from this country are not accepted.',
      'error.channel_not_enabled': 'This way of receiving codes is not available.',
      'error.identifier_refused': 'This email or phone cannot sign in here.',
      'error.projectFlow_not_found': 'This sign-in page is not available.',
      'error.projectFlow_not_active': 'This sign-in page is not available.',
      'error.project_not_found': 'This page does not exist.',
      'error.project_read_rate_limited': 'Too many requests. Please wait.',
      'error.origin_not_allowed': 'This page may not be used from here.',
      'error.face_not_recognized': 'We did not recognise your face. Try again, or use a code.',
      'error.liveness_not_proven': 'The face check did not pass. Use good light and look at the camera.',
      'error.face_checks_locked': 'Too many face checks failed. Use a code, or wait.',
      'error.face_login_not_enabled': 'Face sign-in is not available here.',
      'error.face_is_second_factor': 'Sign in with a code first.',
      'error.liveness_session_expired': 'The face check took too long. Try again.',
      'error.liveness_session_used': 'That face check was already used. Try again.',
      'error.liveness_sessions_exhausted': 'Too many face checks started. Please wait.',
      'error.face_enrolment_refused': 'This face cannot be added.',
      'error.face_mismatch': 'Your face did not match the document.',
      'error.liveness_failed': 'The face check did not pass.',
      'error.document_unreadable': 'We could not read the document. Take a sharper photo.',
      'error.document_expired': 'This document has expired.',
      'error.document_not_read': 'We could not read the document. Try another photo.',
      'error.invalid_image': 'That file is not an image we can read.',
      'error.image_too_large': 'That image is larger than 5 MB.',
      'error.appRegistration_has_expired': 'This registration has expired. Start again.',
      'error.appRegistration_closed': 'This registration is already finished.',
      'error.identity_verified_externally': 'This step is completed with the company directly.',
      'error.redirect_not_configured': 'You are signed in, but this app has no page to return to.',
      'error.redirect_uri_mismatch': 'The return address is not one this app registered.',
      'error.service_unavailable': 'The service is busy. Please try again.',
      'error.network': 'No connection. Check your network and try again.',
    },
    es: {
      loading: 'Cargando…', signInTitle: 'Iniciar sesión', signUpTitle: 'Crea tu cuenta',
      signInHint: 'Te enviaremos un código de un solo uso.', email: 'Correo electrónico', phone: 'Número de teléfono',
      countryCode: 'Indicativo', byEmail: 'Correo', byPhone: 'Teléfono', useChannel: 'Recibir el código por',
      sendCode: 'Enviar código', codeTitle: 'Escribe tu código', codeSentTo: 'Enviamos un código de 6 dígitos a {to}.',
      code: 'Código de un solo uso', verify: 'Verificar', resend: 'Enviar un código nuevo',
      resendIn: 'Enviar un código nuevo en {s} s', resent: 'Un código nuevo va en camino.',
      changeContact: 'Usar otro correo o teléfono', faceSignIn: 'Entrar con tu rostro', faceTitle: 'Verifica tu rostro',
      faceHint: 'Mira a la cámara, con buena luz y el rostro descubierto.', faceStart: 'Encender la cámara',
      faceCapture: 'Hacer la verificación', faceSecondTitle: 'Un paso más: tu rostro',
      cameraDenied: 'La cámara no está disponible. Permítela en el navegador e inténtalo de nuevo.',
      livenessUnavailable: 'Esta página no puede hacer aquí la verificación facial. Entra con un código.',
      signedIn: 'Has iniciado sesión.', redirecting: 'Te llevamos de vuelta…', fullName: 'Nombre completo',
      firstName: 'Nombre', lastName: 'Apellido', continue: 'Continuar', birthDate: 'Fecha de nacimiento',
      basicTitle: 'Sobre ti', documentTitle: 'Tu documento de identidad', documentHint:
        'Una foto del frente de tu pasaporte o cédula: las cuatro esquinas, sin reflejos.',
      documentFile: 'Foto del documento', documentBack: 'Reverso del documento (opcional)', submit: 'Enviar',
      livenessTitle: 'Una foto tuya en vivo', formTitle: 'Unos datos más',
      formField: 'Algo más que debamos saber (opcional)', agree: 'Acepto los términos y el aviso de privacidad',
      completedTitle: 'Tu cuenta está lista', reviewTitle: 'Gracias', reviewText:
        'Estamos revisando tus datos y te contactaremos.', failedTitle: 'No pudimos verificarte',
      failedText: 'Tu registro no se pudo completar.', elsewhereText:
        'El siguiente paso se completa directamente con la empresa.', noFlow: 'Este proyecto no tiene este tipo de acceso.',
      required: '{field} es obligatorio.', invalidCode: 'Escribe los 6 dígitos del código.', working: 'Un momento…',
      retryIn: 'Inténtalo de nuevo en {s} s.',
      'error.generic': 'Algo salió mal. Inténtalo de nuevo.',
      'error.otp_does_not_match': 'Ese código no es correcto o ya no es válido.',
      'error.invalid_otp': 'Escribe los 6 dígitos del código.',
      'error.otp_already_used': 'Ese código ya se usó. Pide uno nuevo.',
      'error.attempts_exhausted': 'Demasiados códigos erróneos. Pide un código nuevo.',
      'error.emailValidation_has_expired': 'Ese código caducó. Pide uno nuevo.',
      'error.phoneValidation_has_expired': 'Ese código caducó. Pide uno nuevo.',
      'error.resend_too_soon': 'Espera un poco antes de pedir otro código.',
      'error.identifier_rate_limited': 'Se enviaron demasiados códigos. Espera un poco.',
      'error.ip_rate_limited': 'Demasiadas solicitudes desde tu red. Espera un poco.',
      'error.ip_check_rate_limited': 'Demasiados intentos desde tu red. Espera un poco.',
      'error.flow_rate_limited': 'Hay mucha demanda. Inténtalo en un momento.',
      'error.flow_sms_rate_limited': 'Los SMS están en pausa. Usa el correo o espera.',
      'error.phone_prefix_rate_limited': 'Los SMS a este número están en pausa. Espera un poco.',
      'error.sms_circuit_open': 'Los SMS no están disponibles ahora. Usa el correo.',
      'error.code_delivery_failed': 'No pudimos entregar el código. Revisa el dato e inténtalo de nuevo.',
      'error.invalid_email': 'Escribe un correo válido.',
      'error.invalid_phone': 'Escribe un número de teléfono válido.',
      'error.invalid_country_code': 'Escribe un indicativo como +57.',
      'error.country_not_allowed': 'No se aceptan números de este país.',
      'error.channel_not_enabled': 'Esta forma de recibir códigos no está disponible.',
      'error.identifier_refused': 'Este correo o teléfono no puede entrar aquí.',
      'error.projectFlow_not_found': 'Esta página de acceso no está disponible.',
      'error.projectFlow_not_active': 'Esta página de acceso no está disponible.',
      'error.project_not_found': 'Esta página no existe.',
      'error.project_read_rate_limited': 'Demasiadas solicitudes. Espera un poco.',
      'error.origin_not_allowed': 'Esta página no se puede usar desde aquí.',
      'error.face_not_recognized': 'No reconocimos tu rostro. Inténtalo de nuevo o usa un código.',
      'error.liveness_not_proven': 'La verificación facial no pasó. Usa buena luz y mira a la cámara.',
      'error.face_checks_locked': 'Fallaron demasiadas verificaciones faciales. Usa un código o espera.',
      'error.face_login_not_enabled': 'El acceso con el rostro no está disponible aquí.',
      'error.face_is_second_factor': 'Primero entra con un código.',
      'error.liveness_session_expired': 'La verificación facial tardó demasiado. Inténtalo de nuevo.',
      'error.liveness_session_used': 'Esa verificación facial ya se usó. Inténtalo de nuevo.',
      'error.liveness_sessions_exhausted': 'Se iniciaron demasiadas verificaciones. Espera un poco.',
      'error.face_enrolment_refused': 'Este rostro no se puede añadir.',
      'error.face_mismatch': 'Tu rostro no coincide con el documento.',
      'error.liveness_failed': 'La verificación facial no pasó.',
      'error.document_unreadable': 'No pudimos leer el documento. Toma una foto más nítida.',
      'error.document_expired': 'Este documento está vencido.',
      'error.document_not_read': 'No pudimos leer el documento. Prueba con otra foto.',
      'error.invalid_image': 'Ese archivo no es una imagen que podamos leer.',
      'error.image_too_large': 'Esa imagen pesa más de 5 MB.',
      'error.appRegistration_has_expired': 'Este registro caducó. Empieza de nuevo.',
      'error.appRegistration_closed': 'Este registro ya terminó.',
      'error.identity_verified_externally': 'Este paso se completa directamente con la empresa.',
      'error.redirect_not_configured': 'Has iniciado sesión, pero esta aplicación no tiene página de regreso.',
      'error.redirect_uri_mismatch': 'La dirección de regreso no es una que esta aplicación registró.',
      'error.service_unavailable': 'El servicio está ocupado. Inténtalo de nuevo.',
      'error.network': 'Sin conexión. Revisa tu red e inténtalo de nuevo.',
    },
  };

  const query = new URLSearchParams(location.search);
  const [, page, projectId] = location.pathname.split('/');
  const wanted = (query.get('lang') || navigator.language || 'en').slice(0, 2).toLowerCase();
  const lang = TEXT[wanted] ? wanted : 'en';
  document.documentElement.lang = lang;
  const liveness = (document.querySelector('meta[name="gatehouse-liveness"]') || {}).content || 'amplify';

  const t = (key, vars = {}) =>
    (TEXT[lang][key] ?? TEXT.en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
  const errorText = (code) => (TEXT[lang]['error.' + code] || TEXT.en['error.' + code] ? t('error.' + code) : t('error.generic'));

  const app = document.getElementById('app');
  const alertBox = document.getElementById('alert');
  const notice = document.getElementById('notice');

  // --- DOM helpers ----------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else if (name === 'text') el.textContent = value;
      else el.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) if (child != null) el.append(child);
    return el;
  }
  let fieldCount = 0;
  function field(labelText, attrs) {
    const id = 'f' + ++fieldCount;
    const input = h('input', { id, name: attrs.name, ...attrs });
    return { input, el: h('label', { for: id }, labelText, input) };
  }
  /** Replaces the page's content; the heading takes focus, so a screen reader announces the step. */
  function screen(title, ...content) {
    alertBox.textContent = '';
    notice.textContent = '';
    const heading = h('h1', { tabindex: '-1', text: title });
    app.replaceChildren(heading, ...content);
    app.removeAttribute('aria-busy');
    document.title = title;
    heading.focus();
  }
  function showError(message, input) {
    alertBox.textContent = message;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'alert');
      input.focus();
    }
  }
  function clearError(input) {
    alertBox.textContent = '';
    if (input) input.removeAttribute('aria-invalid');
  }
  /** Runs `work` with the form's buttons disabled and a busy state. */
  async function busy(form, work) {
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    app.setAttribute('aria-busy', 'true');
    try {
      return await work();
    } finally {
      app.removeAttribute('aria-busy');
      buttons.forEach((b) => { if (!b.dataset.locked) b.disabled = false; });
    }
  }

  // --- the API --------------------------------------------------------------
  async function api(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    } catch {
      return { ok: false, status: 0, code: 'network' };
    }
    const json = await response.json().catch(() => ({}));
    return {
      ok: response.ok,
      status: response.status,
      data: json.data,
      code: json.code,
      retryAfter: Number(response.headers.get('Retry-After')) || 0,
    };
  }

  // --- resend countdown -------------------------------------------------------
  function countdown(button, seconds) {
    let left = seconds;
    button.disabled = true;
    button.dataset.locked = '1';
    const tick = () => {
      if (left <= 0) {
        button.textContent = t('resend');
        button.disabled = false;
        delete button.dataset.locked;
        return;
      }
      button.textContent = t('resendIn', { s: left });
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  // --- the face -------------------------------------------------------------
  /** One liveness session: locally a camera still goes to the local engine; deployed, Amplify's streamed check. */
  async function faceCheck(title, sessionId) {
    return new Promise((resolve) => {
      if (!liveness.startsWith('local ')) {
        screen(title, h('p', { text: t('livenessUnavailable') }));
        resolve(false);
        return;
      }
      const engine = liveness.slice('local '.length);
      const video = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': t('faceTitle') });
      const start = h('button', { type: 'button', text: t('faceStart') });
      const capture = h('button', { type: 'submit', text: t('faceCapture'), disabled: true });
      const form = h('form', { novalidate: true }, h('p', { class: 'hint', text: t('faceHint') }), video, h('div', { class: 'actions' }, start, capture));
      let stream;
      start.addEventListener('click', async () => {
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
          video.srcObject = stream;
          await video.play();
          capture.disabled = false;
          start.hidden = true;
          capture.focus();
        } catch {
          showError(t('cameraDenied'));
        }
      });
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        busy(form, async () => {
          const canvas = h('canvas', { width: video.videoWidth || 640, height: video.videoHeight || 480 });
          canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = canvas.toDataURL('image/jpeg', 0.92).split(',')[1];
          stream?.getTracks().forEach((track) => track.stop());
          let posted;
          try {
            posted = await fetch(`${engine}/local/liveness/${encodeURIComponent(sessionId)}`, {
              method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ image, confidence: 99 }),
            });
          } catch {
            posted = { ok: false };
          }
          resolve(posted.ok);
        });
      });
      screen(title, form);
    });
  }

  // --- the way back -------------------------------------------------------------
  async function finish(flow, token) {
    // Sent here by an OpenID Connect client: the sign-in becomes the OP
    // session (an HttpOnly cookie on the issuer's path), and the browser
    // goes back to the authorization request, which redirects with a code.
    if (query.get('oidc') !== null) {
      screen(t('redirecting'));
      let opened;
      try {
        opened = await fetch(`/oidc/${encodeURIComponent(projectId)}/session`, {
          method: 'POST', headers: { Authorization: 'Bearer ' + token }, credentials: 'same-origin',
        });
      } catch {
        opened = { ok: false };
      }
      if (!opened.ok) return showError(errorText(opened.status ? 'generic' : 'network'));
      location.assign(`/oidc/${encodeURIComponent(projectId)}/oauth2/authorize?${query.get('oidc')}`);
      return;
    }
    const redirectUri = query.get('redirect_uri') || flow.redirectUrl;
    if (!redirectUri) {
      screen(t('signedIn'));
      return;
    }
    screen(t('redirecting'));
    const body = { redirectUri };
    if (query.get('state')) body.state = query.get('state');
    const answer = await api('POST', '/v2/hosted/authorizations', body, token);
    if (!answer.ok) {
      showError(errorText(answer.code));
      return;
    }
    location.assign(answer.data.redirectTo);
  }

  // --- sign-in ------------------------------------------------------------------
  function contactFields(flow) {
    const settings = flow.loginSettings || {};
    const channels = [settings.email && 'email', settings.phone && 'phone'].filter(Boolean);
    const hint = query.get('login_hint') || '';
    const email = field(t('email'), { type: 'email', name: 'email', autocomplete: 'email', required: true, inputmode: 'email', value: hint.includes('@') ? hint : null });
    const cc = field(t('countryCode'), { type: 'text', name: 'countryCode', autocomplete: 'tel-country-code', inputmode: 'tel', value: '+1', size: 5, required: true });
    const phone = field(t('phone'), { type: 'tel', name: 'phone', autocomplete: 'tel-national', inputmode: 'tel', required: true });
    const phoneRow = h('div', { class: 'row' }, cc.el, phone.el);
    let channel = channels[0] || 'email';
    const show = () => {
      email.el.hidden = channel !== 'email';
      phoneRow.hidden = channel !== 'phone';
    };
    const choice = channels.length > 1
      ? h('fieldset', {}, h('legend', { text: t('useChannel') }),
        channels.map((c) => {
          const radio = h('input', { type: 'radio', name: 'channel', value: c, checked: c === channel, onchange: () => { channel = c; show(); } });
          return h('label', {}, radio, t(c === 'email' ? 'byEmail' : 'byPhone'));
        }))
      : null;
    show();
    return {
      el: [choice, email.el, phoneRow],
      channel: () => channel,
      first: () => (channel === 'email' ? email.input : cc.input),
      read() {
        if (channel === 'email') {
          const value = email.input.value.trim();
          if (!value) return { error: t('required', { field: t('email') }), input: email.input };
          return { body: { email: value }, to: value, identifier: value };
        }
        const code = cc.input.value.trim();
        const number = phone.input.value.replace(/[\s()-]/g, '');
        if (!code) return { error: t('required', { field: t('countryCode') }), input: cc.input };
        if (!number) return { error: t('required', { field: t('phone') }), input: phone.input };
        return { body: { countryCode: code.startsWith('+') ? code : '+' + code, phone: number }, to: `${code} ${number}`, identifier: `${code.startsWith('+') ? code : '+' + code}${number}` };
      },
    };
  }

  function signIn(project, flow) {
    const contact = contactFields(flow);
    const faceFirst = flow.loginSettings.faceLiveness && !flow.loginSettings.requires2FA;
    const send = h('button', { type: 'submit', text: t('sendCode') });
    const face = faceFirst ? h('button', { type: 'button', class: 'secondary', text: t('faceSignIn') }) : null;
    const form = h('form', { novalidate: true }, h('p', { class: 'hint', text: t('signInHint') }), contact.el, h('div', { class: 'actions' }, send, face));
    const read = () => {
      const value = contact.read();
      if (value.error) showError(value.error, value.input);
      return value.error ? null : value;
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = read();
      if (!value) return;
      busy(form, async () => {
        const channel = contact.channel();
        const answer = await api('POST', `/v2/${channel}-validations`, { projectFlow: flow._id, type: 'login', language: lang, ...value.body });
        if (!answer.ok) return showError(errorText(answer.code) + (answer.retryAfter ? ' ' + t('retryIn', { s: answer.retryAfter }) : ''), contact.first());
        codeStep(flow, channel, value, answer.retryAfter);
      });
    });
    face?.addEventListener('click', () => {
      const value = read();
      if (!value) return;
      busy(form, async () => {
        const answer = await api('POST', '/v2/biometric-validations', { projectFlow: flow._id, identifier: value.identifier, type: 'login', language: lang });
        if (!answer.ok) return showError(errorText(answer.code), contact.first());
        await faceStep(flow, t('faceTitle'), answer.data.sessionId, answer.data.faceToken);
      });
    });
    screen(t('signInTitle'), form);
  }

  /**
   * The one-time-code screen, for a sign-in and an onboarding alike: `check(otp)` and `resend()` make the calls
   * and answer as `api` does; `check` returns nothing when it moved on.
   */
  function codeScreen({ to, cooldown, check, resend: askAgain, back }) {
    const otp = field(t('code'), { type: 'text', name: 'otp', class: 'otp', autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6', required: true });
    const verify = h('button', { type: 'submit', text: t('verify') });
    const resend = h('button', { type: 'button', class: 'secondary', text: t('resend') });
    const change = back ? h('button', { type: 'button', class: 'link', text: t('changeContact'), onclick: back }) : null;
    const form = h('form', { novalidate: true }, h('p', { class: 'hint', text: t('codeSentTo', { to }) }), otp.el, h('div', { class: 'actions' }, verify, resend, change));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const code = otp.input.value.replace(/\s/g, '');
      if (!/^[0-9]{6}$/.test(code)) return showError(t('invalidCode'), otp.input);
      clearError(otp.input);
      busy(form, async () => {
        const failed = await check(code);
        if (failed) {
          otp.input.value = '';
          showError(errorText(failed.code), otp.input);
        }
      });
    });
    resend.addEventListener('click', () => busy(form, async () => {
      const answer = await askAgain();
      if (!answer.ok) showError(errorText(answer.code));
      else notice.textContent = t('resent');
      if (answer.retryAfter) countdown(resend, answer.retryAfter);
    }));
    screen(t('codeTitle'), form);
    if (cooldown) countdown(resend, cooldown);
  }

  function codeStep(flow, channel, contact, cooldown) {
    const send = () => api('POST', `/v2/${channel}-validations`, { projectFlow: flow._id, type: 'login', language: lang, ...contact.body });
    codeScreen({
      to: contact.to,
      cooldown,
      resend: send,
      back: () => start(),
      async check(otp) {
        const answer = await api('POST', `/v2/${channel}-validations/validate`, { projectFlow: flow._id, type: 'login', otp, ...contact.body });
        if (!answer.ok) return answer;
        if (answer.data.faceToken) {
          const session = await api('POST', '/v2/biometric-validations/app-login', {}, answer.data.faceToken);
          if (!session.ok) return session;
          await faceStep(flow, t('faceSecondTitle'), session.data.sessionId, answer.data.faceToken);
        } else {
          await finish(flow, answer.data.token);
        }
        return null;
      },
    });
  }

  async function faceStep(flow, title, sessionId, faceToken) {
    const done = await faceCheck(title, sessionId);
    if (!done) return;
    const answer = await api('POST', '/v2/biometric-validations/validate', { sessionId }, faceToken);
    if (!answer.ok) {
      const retry = h('button', { type: 'button', text: t('continue'), onclick: () => start() });
      screen(title, h('div', { class: 'actions' }, retry));
      return showError(errorText(answer.code));
    }
    await finish(flow, answer.data.token);
  }

  // --- sign-up ------------------------------------------------------------------
  const STEP_ORDER = ['signUpForm', 'basicInformation', 'document', 'liveness', 'criminalHistory', 'form'];

  function signUp(project, flow) {
    const form = flow.onboardingSettings.signUpForm || {};
    const fields = [];
    // A full name, or else first and last names: never both.
    const split = !form.fullName && (form.firstName || form.lastName);
    const name = split ? null : field(t('fullName'), { name: 'fullName', autocomplete: 'name', required: true });
    const first = split ? field(t('firstName'), { name: 'firstName', autocomplete: 'given-name', required: true }) : null;
    const last = split ? field(t('lastName'), { name: 'lastName', autocomplete: 'family-name', required: true }) : null;
    for (const f of [name, first, last]) if (f) fields.push(f);
    const contact = contactFields({ loginSettings: { email: form.email !== false, phone: !!form.phone } });
    const agree = (form.showTermsAndConditions || form.showPrivacyNotice)
      ? h('input', { type: 'checkbox', id: 'agree', required: true }) : null;
    const submit = h('button', { type: 'submit', text: t('continue') });
    const el = h('form', { novalidate: true }, fields.map((f) => f.el), contact.el,
      agree ? h('label', { for: 'agree', class: 'check' }, agree, t('agree')) : null, submit);
    el.addEventListener('submit', (event) => {
      event.preventDefault();
      for (const [f, label] of [[name, 'fullName'], [first, 'firstName'], [last, 'lastName']]) {
        if (f && !f.input.value.trim()) return showError(t('required', { field: t(label) }), f.input);
      }
      const value = contact.read();
      if (value.error) return showError(value.error, value.input);
      if (agree && !agree.checked) return showError(t('required', { field: t('agree') }), agree);
      busy(el, async () => {
        const body = { projectFlow: flow._id, language: lang, ...value.body };
        if (name) body.fullName = name.input.value.trim();
        if (first) body.firstName = first.input.value.trim();
        if (last) body.lastName = last.input.value.trim();
        const answer = await api('POST', '/v2/app-registrations', body);
        if (!answer.ok) return showError(errorText(answer.code), contact.first());
        const session = { flow, token: answer.data.token, registration: answer.data.appRegistration, channel: contact.channel(), contact: value };
        enrolCode(session);
      });
    });
    screen(t('signUpTitle'), el);
  }

  function enrolCode(session) {
    const { registration, channel, contact } = session;
    const path = `/v2/app-registrations/${registration._id}`;
    codeScreen({
      to: contact.to,
      resend: () => api('POST', `${path}/resend`, { type: channel }, session.token),
      async check(otp) {
        const answer = await api('POST', `${path}/validate`, { type: channel, otp }, session.token);
        if (!answer.ok) return answer;
        session.registration = answer.data.appRegistration;
        await nextStep(session);
        return null;
      },
    });
  }

  /** The registration's next mandatory step still pending, or its end. */
  async function nextStep(session) {
    const registration = session.registration;
    const pending = STEP_ORDER.map((name) => (registration.steps || []).find((s) => s.step === name))
      .find((s) => s && s.requirement === 'mandatory' && s.status === 'pending');
    if (!pending || ['COMPLETED', 'FAILED', 'EXPIRED', 'NEEDS_MANUAL_VERIFICATION'].includes(registration.status)) return closing(session);
    if (pending.step === 'basicInformation') return basicStep(session);
    if (pending.step === 'document') return documentStep(session);
    if (pending.step === 'liveness') return livenessStep(session);
    if (pending.step === 'form') return formStep(session);
    return closing(session);
  }

  function basicStep(session) {
    const first = field(t('firstName'), { name: 'firstName', autocomplete: 'given-name', required: true, value: session.registration.firstName || '' });
    const last = field(t('lastName'), { name: 'lastName', autocomplete: 'family-name', required: true, value: session.registration.lastName || '' });
    const birth = field(t('birthDate'), { type: 'date', name: 'birthDate', autocomplete: 'bday', required: true });
    const form = h('form', { novalidate: true }, first.el, last.el, birth.el, h('button', { type: 'submit', text: t('continue') }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      for (const [f, label] of [[first, 'firstName'], [last, 'lastName'], [birth, 'birthDate']]) {
        if (!f.input.value.trim()) return showError(t('required', { field: t(label) }), f.input);
      }
      busy(form, () => information(session, 'basicInformation', { firstName: first.input.value.trim(), lastName: last.input.value.trim(), birthDate: birth.input.value }));
    });
    screen(t('basicTitle'), form);
  }

  function formStep(session) {
    const note = h('textarea', { id: 'note', name: 'note', maxlength: '2000', rows: '3' });
    const form = h('form', { novalidate: true }, h('label', { for: 'note' }, t('formField'), note), h('button', { type: 'submit', text: t('continue') }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(form, () => information(session, 'form', { note: note.value.trim() }));
    });
    screen(t('formTitle'), form);
  }

  async function information(session, step, data) {
    const answer = await api('PUT', `/v2/app-registrations/${session.registration._id}/information`, { step, data }, session.token);
    if (!answer.ok) return showError(errorText(answer.code));
    session.registration = answer.data.appRegistration;
    await nextStep(session);
  }

  const readFile = (file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1]);
    reader.onerror = reject;
    reader.readAsDataURL(file);
  });

  function documentStep(session) {
    const front = field(t('documentFile'), { type: 'file', name: 'document', accept: 'image/jpeg,image/png', capture: 'environment', required: true });
    const back = field(t('documentBack'), { type: 'file', name: 'documentBack', accept: 'image/jpeg,image/png', capture: 'environment' });
    const form = h('form', { novalidate: true }, h('p', { class: 'hint', text: t('documentHint') }), front.el, back.el, h('button', { type: 'submit', text: t('submit') }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const file = front.input.files[0];
      if (!file) return showError(t('required', { field: t('documentFile') }), front.input);
      busy(form, async () => {
        const body = { image: await readFile(file) };
        if (back.input.files[0]) body.backImage = await readFile(back.input.files[0]);
        const answer = await api('POST', '/v2/document-validations/app-registration', body, session.token);
        if (!answer.ok) return showError(errorText(answer.code), front.input);
        session.registration = answer.data.appRegistration;
        const check = answer.data.documentValidation || {};
        if (check.status === 'failed' && check.retryable) return showError(errorText((check.reasonCodes || [])[0]), front.input);
        await nextStep(session);
      });
    });
    screen(t('documentTitle'), form);
  }

  async function livenessStep(session) {
    const started = await api('POST', '/v2/biometric-validations/app-registration/session', {}, session.token);
    if (!started.ok) return showError(errorText(started.code));
    const done = await faceCheck(t('livenessTitle'), started.data.sessionId);
    if (!done) return;
    const answer = await api('POST', '/v2/biometric-validations/app-registration', { sessionId: started.data.sessionId }, session.token);
    if (!answer.ok) {
      showError(errorText(answer.code));
      return;
    }
    session.registration = answer.data.appRegistration;
    const check = answer.data.livenessValidation || answer.data.biometricValidation || {};
    if (check.status === 'failed' && check.retryable) {
      const retry = h('button', { type: 'button', text: t('continue'), onclick: () => livenessStep(session) });
      screen(t('livenessTitle'), h('div', { class: 'actions' }, retry));
      return showError(errorText((check.reasonCodes || [])[0]));
    }
    await nextStep(session);
  }

  async function closing(session) {
    const answer = await api('PUT', `/v2/app-registrations/${session.registration._id}/sync`, {}, session.token);
    if (!answer.ok) return showError(errorText(answer.code));
    const registration = answer.data.appRegistration;
    if (answer.data.token && registration.status.startsWith('COMPLETED')) return finish(session.flow, answer.data.token);
    if (registration.status === 'NEEDS_MANUAL_VERIFICATION') return screen(t('reviewTitle'), h('p', { text: t('reviewText') }));
    if (registration.status === 'FAILED' || registration.status === 'EXPIRED') return screen(t('failedTitle'), h('p', { text: t('failedText') }));
    screen(t('reviewTitle'), h('p', { text: t('elsewhereText') }));
  }

  // --- start --------------------------------------------------------------------
  let project;
  async function start() {
    if (!project) {
      const answer = await api('GET', `/v2/projects/kyc?id=${encodeURIComponent(projectId)}`);
      if (!answer.ok) {
        screen(t('signInTitle'));
        return showError(errorText(answer.code));
      }
      project = answer.data;
      const brand = project.branding || {};
      document.getElementById('project-name').textContent = project.name;
      if (brand.logo && /^https:\/\//.test(brand.logo)) {
        const logo = document.getElementById('logo');
        logo.src = brand.logo;
        logo.alt = project.name;
        logo.hidden = false;
      }
      const root = document.documentElement.style;
      if (brand.buttonColor) root.setProperty('--button', brand.buttonColor);
      if (brand.buttonTxtColor) root.setProperty('--button-text', brand.buttonTxtColor);
    }
    const type = page === 'sign-up' ? 'onboarding' : 'login';
    const flows = (project.projectFlows || []).filter((f) => f.type === type);
    const flow = flows.find((f) => f._id === query.get('flow')) || (query.get('flow') ? null : flows[0]);
    if (!flow) return screen(t(page === 'sign-up' ? 'signUpTitle' : 'signInTitle'), h('p', { text: t('noFlow') }));
    (type === 'login' ? signIn : signUp)(project, flow);
  }
  start();
})();
