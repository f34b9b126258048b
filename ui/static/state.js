// state.js: the page's state, one object that every module shares (an
// ES module's exported bindings are read-only to its importers, so what
// changes lives on S).

export const S = {
  lang: 'en',
  languages: ['en', 'az', 'ru'],
  msgs: {},
  session: { authenticated: false, needs_setup: false, csrf_token: '' },
  csrf: '',
  skew: 0, // router's clock minus this device's, in ms
  childCsrf: '', // the pre-login token for the child's requests
  tz: undefined, // the router's time zone when Intl knows it
  gen: 0, // bumps on every navigation; stale async work checks it
  timers: [],
  after: '', // where to go after logging in
  pending: 0, // children's requests waiting
  native: true, // Intl knows the language's names (see nativeIntl)
};
