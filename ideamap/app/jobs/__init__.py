"""Work off the UI thread: the build worker process (Qt-free), its runner, background
threads and progress bookkeeping."""
