import { formatDuration, formatFileSize } from '../../utils/format'

const { isDenied, authorize, guideToSettings } = require('../../utils/auth.js')

const MAX_DURATION = 10000
const rm = wx.getRecorderManager()

Page({
  data: {
    recording: false,
    tempFilePath: '',
    maxText: formatDuration(MAX_DURATION),
    durationText: '',
    sizeText: '',
  },

  onLoad() {
    rm.onStart(() => {
      this.setData({ recording: true })
    })
    rm.onStop((res) => {
      this.setData({
        recording: false,
        tempFilePath: res.tempFilePath,
        durationText: formatDuration(res.duration),
        sizeText: formatFileSize(res.fileSize),
      })
    })
    rm.onError((err) => {
      console.error('recorder error', err)
      this.setData({ recording: false })
      wx.showToast({ title: '录音失败，请重试', icon: 'none' })
    })
  },

  onRecord() {
    authorize('scope.record')
      .then(() => this.startRecord())
      .catch((err) => {
        if (!isDenied(err)) {
          console.error('authorize scope.record failed', err)
          wx.showToast({ title: '无法使用麦克风', icon: 'none' })
          return
        }
        return guideToSettings('scope.record', '录制语音需要使用你的麦克风，请在设置中开启“麦克风”').then(
          (enabled) => {
            if (enabled) {
              this.startRecord()
            } else {
              wx.showToast({ title: '未开启麦克风权限，无法录音', icon: 'none' })
            }
          },
        )
      })
  },

  onStop() {
    rm.stop()
  },

  startRecord() {
    rm.start({
      duration: MAX_DURATION,
      format: 'mp3',
      sampleRate: 16000,
      numberOfChannels: 1,
      encodeBitRate: 48000,
    })
  },
})
