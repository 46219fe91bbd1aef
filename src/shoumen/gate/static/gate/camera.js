/* Reading a QR code with the phone's camera: the browser's BarcodeDetector where it has one,
 * else jsQR (vendored, loaded on first use) on frames drawn to a canvas.
 *
 * ShoumenCamera.possible()  — false outside a secure context (no getUserMedia there);
 * ShoumenCamera.start(video, {jsqrUrl, onCode, onError}) — shows the back camera in ``video``
 *   and calls onCode(text) once with the first code read (the camera then stops);
 * ShoumenCamera.stop().
 */
(function (root) {
  "use strict";

  var camera = {stream: null, running: false, video: null};

  function possible() {
    return !!(root.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function loadJsQR(url) {
    if (root.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = function () { reject(new Error(url)); };
      document.head.appendChild(script);
    });
  }

  function qrDetector() {
    if (!("BarcodeDetector" in root)) return Promise.resolve(null);
    return root.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new root.BarcodeDetector({formats: ["qr_code"]}) : null;
    }).catch(function () { return null; });
  }

  function stop() {
    camera.running = false;
    if (camera.stream) camera.stream.getTracks().forEach(function (track) { track.stop(); });
    camera.stream = null;
    if (camera.video) camera.video.srcObject = null;
  }

  function scanFrames(video, detector, onCode) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", {willReadFrequently: true});
    function found(text) {
      stop();
      onCode(text);
    }
    function tick() {
      if (!camera.running) return;
      if (video.readyState < 2) { setTimeout(tick, 150); return; }
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) found(codes[0].rawValue);
          else setTimeout(tick, 120);
        }, function () { setTimeout(tick, 250); });
        return;
      }
      // Small frames decode fast enough on a cheap phone and a pass fills most of the view.
      var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = root.jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
      if (code && code.data) found(code.data);
      else setTimeout(tick, 150);
    }
    tick();
  }

  function start(video, options) {
    camera.video = video;
    return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
      .then(function (stream) {
        camera.stream = stream;
        camera.running = true;
        video.srcObject = stream;
        return video.play().then(qrDetector);
      })
      .then(function (detector) {
        return (detector ? Promise.resolve() : loadJsQR(options.jsqrUrl)).then(function () {
          scanFrames(video, detector, options.onCode);
        });
      })
      .catch(function (error) {
        stop();
        options.onError(error);
      });
  }

  root.ShoumenCamera = {possible: possible, start: start, stop: stop};
})(typeof globalThis !== "undefined" ? globalThis : self);
