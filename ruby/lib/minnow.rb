# minnow: create, read and modify disk images.
#
#   require 'minnow'
#   g = Minnow::Minnow.new
#   g.add_drive("disk.img", readonly: true)
#   g.launch
#   puts g.list_devices
#
# Every action of minnow(3) is a method of Minnow::Minnow (generated from
# api.def into the _minnow extension); optional arguments are a trailing
# hash.  Errors raise Minnow::Error, whose #errno is the errno value.
require '_minnow'
