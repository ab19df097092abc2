# Marks this directory as the Rails root of the test app (Rails finds its root by
# this file), so that Rails does not put the checkout's ruby/lib on the load
# path ahead of the installed gem. Not used to serve anything.
