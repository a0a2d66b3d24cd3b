export * from './file-mail-transport';
export * from './html';
export * from './mail-link';
export * from './mail-send.error';
export * from './mail-transport';
export * from './mail.config';
export * from './mailer';
export * from './smtp-mail-transport';
