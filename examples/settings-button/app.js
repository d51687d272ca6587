App({
  onLaunch() {
    console.log('app launch')
  },
})
