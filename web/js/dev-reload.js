// Development only (npm run dev): reload the page when a file under web/ changes or the server restarted.
let boot = null;
const events = new EventSource('/__dev/reload');
events.onmessage = (e) => {
  if (boot && e.data !== boot) location.reload();
  boot = e.data;
};
events.addEventListener('reload', () => location.reload());
