// LTI Dynamic Registration: when the registration is done, tell the LMS to close its registration frame
// or window (org.imsglobal.lti.close). The approval may run in a new window opened from that frame:
// then the frame passes the message on to the LMS.
(function () {
  const CLOSE = { subject: "org.imsglobal.lti.close" };
  const lms = window.opener || (window.parent !== window ? window.parent : null);
  if (document.getElementById("lti-registered") && lms) lms.postMessage(CLOSE, "*");
  if (document.getElementById("lti-register-approve") && window.parent !== window) {
    window.addEventListener("message", function (e) {
      if (e.origin === window.location.origin && e.data && e.data.subject === CLOSE.subject) window.parent.postMessage(CLOSE, "*");
    });
  }
})();
