// ACS Identity Lab: a notebook opens only once the server's kernel list has arrived.
//
// Why: JupyterLab 4.6 starts a notebook's kernel by itself only if the kernel-spec list is
// already in the browser (SessionContext.startKernel -> getDefaultKernel returns null while
// `kernelspecs.specs` is null) and otherwise shows "Select Kernel" in front of the lesson. On a
// busy server /api/kernelspecs can answer after the notebook has opened. The setting
// `autoStartDefaultKernel` does not help: getDefaultKernel returns null without specs first.
//
// How: a startup plugin whose activation waits for the list (at most 60 s, retrying a failed
// request). Lumino attaches the shell, and JupyterLab restores the layout and opens the URL's
// notebook, only after every startup plugin has activated. It needs no other module, so this
// hand-written module-federation container (the interface JupyterLab's loader calls: init, get)
// replaces a webpack build.
(function () {
  "use strict";
  var WAIT_MS = 60000;

  function pause(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  async function waitForKernelSpecs(app) {
    var manager = app.serviceManager.kernelspecs;
    var deadline = Date.now() + WAIT_MS;
    await manager.ready;
    while (!manager.specs && Date.now() < deadline) {
      await pause(1000);
      try {
        await manager.refreshSpecs();
      } catch (error) {
        console.warn("acs-lab-kernel-wait: kernel list not there yet", error);
      }
    }
  }

  var plugin = {
    id: "acs-lab-kernel-wait:plugin",
    description: "Open notebooks only once the kernel list has arrived (no 'Select Kernel').",
    autoStart: true,
    activate: waitForKernelSpecs,
  };

  var lab = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  lab["acs-lab-kernel-wait"] = {
    init: function () {
      return Promise.resolve();
    },
    get: function (module) {
      if (module !== "./extension") {
        return Promise.reject(new Error("acs-lab-kernel-wait has no module " + module));
      }
      return Promise.resolve(function () {
        return { __esModule: true, default: plugin };
      });
    },
  };
})();
