App({
  globalData: {
    city: '',
  },

  onLaunch() {
    console.log('app launch')
  },
})
